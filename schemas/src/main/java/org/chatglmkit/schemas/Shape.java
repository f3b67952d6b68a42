package org.chatglmkit.schemas;

/** The JSON shapes of the API, each captured by one schema file per profile. */
public enum Shape {
  MESSAGE("message.schema.json", "message.openai.schema.json"),
  REQUEST("chat-completion-request.schema.json", "chat-completion-request.openai.schema.json"),
  COMPLETION("chat-completion.schema.json", "chat-completion.openai.schema.json"),
  CHUNK("chat-completion-chunk.schema.json", "chat-completion-chunk.openai.schema.json"),
  ERROR("error.schema.json", "error.schema.json"),
  MODEL_LIST("model-list.schema.json", "model-list.schema.json");

  private final String documentedFile;
  private final String openaiFile;

  Shape(String documentedFile, String openaiFile) {
    this.documentedFile = documentedFile;
    this.openaiFile = openaiFile;
  }

  /** The schema file (relative to the schema folder) that captures this shape in a profile. */
  public String file(Profile profile) {
    return profile == Profile.OPENAI ? openaiFile : documentedFile;
  }
}
