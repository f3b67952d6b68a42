package org.chatglmkit.mockserver.target;

import java.util.function.UnaryOperator;
import org.chatglmkit.mockserver.backend.BackendProvider;
import org.chatglmkit.mockserver.core.ChatBackend;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.server.ReferenceServer;
import org.chatglmkit.mockserver.server.ServerConfig;
import org.chatglmkit.schemas.Profile;

/**
 * The one way every suite of the toolkit learns its target: an explicit setting, then a system
 * property, then an environment variable, then the default. No URL means the embedded reference
 * server, started in-process on a free loopback port.
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
 */
public record TargetSettings(
    String url, String apiKey, String forbiddenKey, Profile profile, String backend, String model) {

  public static final String URL = "chatglm.target.url";
  public static final String API_KEY = "chatglm.target.api-key";
  public static final String FORBIDDEN_KEY = "chatglm.target.forbidden-key";
  public static final String PROFILE = "chatglm.profile";
  public static final String BACKEND = "chatglm.embedded.backend";
  public static final String MODEL = "chatglm.embedded.model";

  /** The forbidden key the embedded reference server is started with, so 403 is checked too. */
  public static final String EMBEDDED_FORBIDDEN_KEY = "chatglm-dev-forbidden-key";

  /** The embedded server's pacing: slow enough that streaming is visibly incremental. */
  public static final LatencyProfile EMBEDDED_LATENCY = new LatencyProfile(20, 5, 0);

  public TargetSettings {
    url = blankToNull(url);
    apiKey = blankToNull(apiKey);
    forbiddenKey = blankToNull(forbiddenKey);
    profile = profile == null ? Profile.OPENAI : profile;
    backend = backend == null || backend.isBlank() ? BackendProvider.REFERENCE : backend.strip();
    model = blankToNull(model);
  }

  /** Settings for a target URL (or the embedded reference server when {@code url} is null). */
  public TargetSettings(String url, String apiKey, String forbiddenKey, Profile profile) {
    this(url, apiKey, forbiddenKey, profile, null, null);
  }

  /** System properties, then environment variables. */
  public static TargetSettings fromEnvironment() {
    return resolve(name -> null);
  }

  /**
   * {@code explicit} first (e.g. JUnit configuration parameters), then system properties, then
   * environment variables.
   */
  public static TargetSettings resolve(UnaryOperator<String> explicit) {
    UnaryOperator<String> lookup = name -> lookup(name, explicit);
    String profile = lookup.apply(PROFILE);
    return new TargetSettings(
        lookup.apply(URL),
        lookup.apply(API_KEY),
        lookup.apply(FORBIDDEN_KEY),
        profile == null ? Profile.OPENAI : Profile.parse(profile),
        lookup.apply(BACKEND),
        lookup.apply(MODEL));
  }

  /** The environment variable that stands for a property. */
  public static String environmentName(String property) {
    return switch (property) {
      case URL -> "CHATGLM_TARGET_URL";
      case API_KEY -> "CHATGLM_API_KEY";
      case FORBIDDEN_KEY -> "CHATGLM_FORBIDDEN_KEY";
      case PROFILE -> "CHATGLM_PROFILE";
      case BACKEND -> "CHATGLM_EMBEDDED_BACKEND";
      case MODEL -> "CHATGLM_EMBEDDED_MODEL";
      default -> property.toUpperCase().replace('.', '_').replace('-', '_');
    };
  }

  /** An explicit setting wins even when blank (blank means "none"); then the fallbacks. */
  private static String lookup(String name, UnaryOperator<String> explicit) {
    String given = explicit.apply(name);
    if (given != null) {
      return blankToNull(given);
    }
    String value = blankToNull(System.getProperty(name));
    if (value == null) {
      value = blankToNull(System.getenv(environmentName(name)));
    }
    return value;
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
      return new OpenTarget(new Target(url, apiKey, forbiddenKey, profile, false), null);
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
            true);
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
