package org.chatglmkit.conformance.checks;

import java.util.List;
import org.chatglmkit.schemas.Profile;

/**
 * A request the document allows, which a conforming server must answer with 200.
 *
 * @param what a short description for messages
 * @param contentType the request's Content-Type
 * @param body the raw body
 * @param profile the profile that allows it
 */
record LegalVariation(String what, String contentType, String body, Profile profile) {
  private static final String JSON = "application/json";

  static List<LegalVariation> forProfile(Profile profile) {
    return ALL.stream().filter(variation -> profile.includes(variation.profile())).toList();
  }

  private static LegalVariation of(String what, String body) {
    return new LegalVariation(what, JSON, body, Profile.DOCUMENTED);
  }

  static final List<LegalVariation> ALL =
      List.of(
          of("no optional field", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"),
          of(
              "history with an assistant turn without content",
              """
              {"messages": [{"role": "user", "content": "and now?"}], "max_tokens": 8,
               "history": [{"role": "user", "content": "hello"}, {"role": "assistant"}]}"""),
          of(
              "earlier turns inside messages",
              """
              {"messages": [{"role": "system", "content": "Be brief."},
               {"role": "user", "content": "hello"}, {"role": "assistant", "content": "Hi."},
               {"role": "user", "content": "and now?"}], "max_tokens": 8}"""),
          of(
              "a message name",
              """
              {"messages": [{"role": "user", "content": "hi", "name": "user_1"}], "max_tokens": 8}"""),
          of(
              "a name of 64 characters, the longest allowed",
              "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\", \"name\": \""
                  + "n".repeat(64)
                  + "\"}], \"max_tokens\": 8}"),
          of(
              "a name of 1 character, the shortest allowed",
              "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\", \"name\": \"n\"}],"
                  + " \"max_tokens\": 8}"),
          of(
              "temperature 0",
              "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": 0,"
                  + " \"max_tokens\": 8}"),
          of(
              "temperature 2",
              "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": 2,"
                  + " \"max_tokens\": 8}"),
          of(
              "temperature 2.0 written as a decimal",
              "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": 2.0,"
                  + " \"max_tokens\": 8}"),
          of(
              "temperature 1.999, just inside the range",
              "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": 1.999,"
                  + " \"max_tokens\": 8}"),
          of(
              "max_tokens 1",
              "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 1}"),
          of(
              "unknown extra fields, top level and in a message",
              """
              {"messages": [{"role": "user", "content": "hi", "x_note": [1, {"a": null}]}],
               "max_tokens": 8, "x_client": {"version": "1.2"}, "user": "u-1"}"""),
          of(
              "top_p (the client adds the run's model, if any, as it does everywhere)",
              """
              {"top_p": 0.8, "max_tokens": 8,
               "messages": [{"role": "user", "content": "hi"}]}"""),
          of(
              "Chinese content",
              """
              {"messages": [{"role": "user", "content": "你好,请介绍一下你自己。"}], "max_tokens": 8}"""),
          of(
              "other key order and whitespace",
              "{\n  \"max_tokens\" : 8 ,\n\t\"messages\" : [ {\n \"content\" : \"hi\" ,"
                  + " \"role\" : \"user\" } ]\n}\n"),
          new LegalVariation(
              "Content-Type with charset",
              "application/json; charset=utf-8",
              "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 8}",
              Profile.DOCUMENTED),
          new LegalVariation(
              "null for optional fields that OpenAI's API declares nullable (read as not given)",
              JSON,
              """
              {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 8,
               "temperature": null, "stream": null, "top_p": null, "stop": null, "n": null,
               "seed": null, "presence_penalty": null, "frequency_penalty": null,
               "tools": null, "tool_choice": null}""",
              Profile.OPENAI),
          new LegalVariation(
              "max_tokens null (no cap, as if absent)",
              JSON,
              "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": null}",
              Profile.OPENAI),
          new LegalVariation(
              "an assistant turn with content null, as OpenAI clients send it back",
              JSON,
              """
              {"messages": [{"role": "user", "content": "hello"},
               {"role": "assistant", "content": null}, {"role": "user", "content": "and now?"}],
               "max_tokens": 8}""",
              Profile.OPENAI),
          new LegalVariation(
              "stream false",
              JSON,
              "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 8,"
                  + " \"stream\": false}",
              Profile.OPENAI));
}
