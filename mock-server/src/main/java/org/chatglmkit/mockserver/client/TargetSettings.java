package org.chatglmkit.mockserver.client;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.chatglmkit.mockserver.backend.BackendProvider;
import org.chatglmkit.mockserver.core.ChatBackend;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.server.ReferenceServer;
import org.chatglmkit.mockserver.server.ServerConfig;
import org.chatglmkit.mockserver.settings.Settings;
import org.chatglmkit.schemas.Profile;

/**
 * The one way every suite of the toolkit learns its target, by the rule of {@link Settings}: an
 * explicit setting, then a system property, then an environment variable, then the default. No URL
 * means the embedded reference server, started in-process on a free loopback port.
 *
 * <pre>{@code
 * try (OpenTarget open = TargetSettings.fromEnvironment().open()) {
 *   Target target = open.target();
 * }
 * }</pre>
 *
 * @param url the server root, or {@code null} for the embedded reference server
 * @param apiKey the key to send ({@code null} for the embedded server's development key)
 * @param forbiddenKey a key the target refuses with 403, or {@code null}
 * @param profile the profile to hold the target to
 * @param backend the embedded server's backend: {@code reference} (deterministic answers, the
 *     default) or {@code djl} (a ChatGLM model, when the DJL module is on the classpath)
 * @param model the embedded backend's model (for {@code djl} a checkpoint directory; none: a tiny
 *     generated one), or {@code null}
 * @param targetModel the {@code model} to name in every request, or {@code null}
 * @param headers headers to add to every request
 */
public record TargetSettings(
    String url,
    String apiKey,
    String forbiddenKey,
    Profile profile,
    String backend,
    String model,
    String targetModel,
    Map<String, String> headers) {

  public static final String URL = "chatglm.target.url";
  public static final String API_KEY = "chatglm.target.api-key";
  public static final String FORBIDDEN_KEY = "chatglm.target.forbidden-key";
  public static final String PROFILE = "chatglm.api-profile";
  public static final String BACKEND = "chatglm.embedded.backend";
  public static final String MODEL = "chatglm.embedded.model";
  public static final String TARGET_MODEL = "chatglm.target.model";

  /** Extra request headers, one {@code Name: value} per line. */
  public static final String HEADERS = "chatglm.target.headers";

  /** The forbidden key the embedded reference server is started with, so 403 is checked too. */
  public static final String EMBEDDED_FORBIDDEN_KEY = "chatglm-dev-forbidden-key";

  /** The embedded server's pacing: slow enough that streaming is visibly incremental. */
  public static final LatencyProfile EMBEDDED_LATENCY = ServerConfig.DEFAULT_LATENCY;

  public TargetSettings {
    url = blankToNull(url);
    apiKey = blankToNull(apiKey);
    forbiddenKey = blankToNull(forbiddenKey);
    profile = profile == null ? Profile.OPENAI : profile;
    backend = backend == null || backend.isBlank() ? BackendProvider.REFERENCE : backend.strip();
    model = blankToNull(model);
    targetModel = blankToNull(targetModel);
    headers = headers == null ? Map.of() : Map.copyOf(headers);
  }

  /** Settings for a target URL (or the embedded reference server when {@code url} is null). */
  public TargetSettings(String url, String apiKey, String forbiddenKey, Profile profile) {
    this(url, apiKey, forbiddenKey, profile, null, null, null, Map.of());
  }

  /** System properties, then environment variables. */
  public static TargetSettings fromEnvironment() {
    return resolve(Settings.system());
  }

  /**
   * {@code explicit} first (e.g. JUnit configuration parameters), then system properties, then
   * environment variables.
   */
  public static TargetSettings resolve(UnaryOperator<String> explicit) {
    return resolve(Settings.of(explicit));
  }

  public static TargetSettings resolve(Settings settings) {
    Map<String, String> headers = new LinkedHashMap<>();
    for (String line : settings.lines(HEADERS)) {
      Map.Entry<String, String> header = Target.parseHeader(line);
      headers.put(header.getKey(), header.getValue());
    }
    return new TargetSettings(
        settings.text(URL, null),
        settings.text(API_KEY, null),
        settings.text(FORBIDDEN_KEY, null),
        settings.text(PROFILE).map(Profile::parse).orElse(Profile.OPENAI),
        settings.text(BACKEND, null),
        settings.text(MODEL, null),
        settings.text(TARGET_MODEL, null),
        headers);
  }

  /** The environment variable that stands for a property. */
  public static String environmentName(String property) {
    return Settings.environmentName(property);
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.strip();
  }

  /** Whether these settings name no URL, so the embedded reference server is used. */
  public boolean embedded() {
    return url == null;
  }

  /** The target; starts the embedded reference server when no URL was given. */
  public OpenTarget open() {
    return open(embeddedServer().build());
  }

  /**
   * The target; when no URL was given, the embedded reference server started with {@code embedded}
   * (whose first key, and first forbidden key if any, the target then uses) and {@link #backend()}.
   * A model backend runs unpaced: its own compute decides when tokens come.
   */
  public OpenTarget open(ServerConfig embedded) {
    if (!embedded()) {
      return new OpenTarget(
          new Target(url, apiKey, forbiddenKey, profile, false, targetModel, headers), null);
    }
    ReferenceServer server;
    if (backend.equals(BackendProvider.REFERENCE)) {
      server = ReferenceServer.start(embedded);
    } else {
      ChatBackend chat = BackendProvider.open(backend, model, null);
      try {
        server =
            ReferenceServer.start(
                embedded.toBuilder().latency(LatencyProfile.none()).model(chat.modelName()).build(),
                chat);
      } catch (RuntimeException e) {
        chat.close();
        throw e;
      }
    }
    Target target =
        new Target(
            server.baseUrl(),
            embedded.apiKeys().iterator().next(),
            embedded.forbiddenKeys().stream().findFirst().orElse(null),
            profile,
            true,
            targetModel,
            headers);
    return new OpenTarget(target, server);
  }

  /**
   * The embedded server of the suites: a free loopback port, the development key, {@link
   * #EMBEDDED_FORBIDDEN_KEY}, {@link #EMBEDDED_LATENCY}, no request journal. Change what a suite
   * needs and pass it to {@link #open(ServerConfig)}.
   */
  public static ServerConfig.Builder embeddedServer() {
    return ServerConfig.builder()
        .port(0)
        .forbiddenKey(EMBEDDED_FORBIDDEN_KEY)
        .latency(EMBEDDED_LATENCY)
        .requestJournal(false);
  }

  @Override
  public String toString() {
    return "TargetSettings[url="
        + (url == null ? "(embedded " + backend + ")" : url)
        + ", profile="
        + profile.id()
        + "]";
  }
}
