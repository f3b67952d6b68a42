package org.chatglmkit.mockserver.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.chatglmkit.mockserver.core.ChatBackend;
import org.chatglmkit.mockserver.server.ServerConfig;

/**
 * A backend that lives in another module (the DJL model) and is found on the classpath with {@link
 * ServiceLoader}, so that the WireMock server does not depend on it. {@value #REFERENCE} is always
 * there: the deterministic backend.
 *
 * <pre>{@code
 * ChatBackend backend = BackendProvider.open("djl", "/models/chatglm3-6b", null);
 * }</pre>
 */
public interface BackendProvider {
  /** The name of the built-in deterministic backend. */
  String REFERENCE = "reference";

  /** The name users select the backend by, e.g. {@code djl}. */
  String name();

  /**
   * Opens the backend.
   *
   * @param model what the backend serves (for DJL a checkpoint directory), or {@code null} for the
   *     provider's default
   * @param modelName the name answers carry, or {@code null} for the provider's choice
   */
  ChatBackend open(String model, String modelName);

  /**
   * Opens the backend called {@code name}.
   *
   * @throws IllegalArgumentException when no such backend is on the classpath
   */
  static ChatBackend open(String name, String model, String modelName) {
    if (name == null || name.isBlank() || name.equals(REFERENCE)) {
      return new DeterministicBackend(
          modelName == null ? ServerConfig.DEFAULT_MODEL : modelName, 0);
    }
    List<String> known = new ArrayList<>(List.of(REFERENCE));
    for (BackendProvider provider : ServiceLoader.load(BackendProvider.class)) {
      if (provider.name().equals(name)) {
        return provider.open(model, modelName);
      }
      known.add(provider.name());
    }
    throw new IllegalArgumentException(
        "no backend \""
            + name
            + "\" on the classpath (found: "
            + String.join(", ", known)
            + "); the DJL backend is in mock-server/djl (chatglm-djl-server.jar)");
  }
}
