package org.chatglmkit.djl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.chatglmkit.mockserver.backend.BackendProvider;
import org.chatglmkit.mockserver.core.ChatBackend;

/**
 * The {@code djl} backend for the suites' embedded server ({@code chatglm.embedded.backend=djl}):
 * the checkpoint directory {@code chatglm.embedded.model} names, or, when none is named, a tiny
 * random ChatGLM3 checkpoint generated into a temporary directory (for exercising the serving path,
 * not for meaningful text).
 */
public final class DjlBackendProvider implements BackendProvider {
  /** The shape of the generated model: 2 layers, hidden 64, a context of 2048 tokens. */
  static final ChatGlmConfig GENERATED_SHAPE = TestModelGenerator.tiny(0).withSeqLength(2048);

  @Override
  public String name() {
    return "djl";
  }

  @Override
  public ChatBackend open(String model, String modelName) {
    if (model != null) {
      ChatGlmCheckpoint checkpoint = ChatGlmCheckpoint.open(Path.of(model), null);
      return new DjlChatBackend(
          checkpoint,
          modelName != null ? modelName : checkpoint.name(),
          DjlChatBackend.Limits.DEFAULT);
    }
    Path dir;
    try {
      dir = Files.createTempDirectory("chatglm-test-model-");
      TestModelGenerator.generateChat(
          dir, GENERATED_SHAPE, ChatFormat.Version.CHATGLM3, 42, 1, "F32");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot generate the test model", e);
    }
    ChatGlmCheckpoint checkpoint;
    try {
      checkpoint = ChatGlmCheckpoint.open(dir, null);
    } finally {
      delete(dir); // everything is in memory now
    }
    return new DjlChatBackend(
        checkpoint,
        modelName != null ? modelName : "chatglm3-random-test",
        DjlChatBackend.Limits.DEFAULT);
  }

  private static void delete(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // a temporary directory; nothing depends on it
    }
  }
}
