package org.chatglmkit.mockserver.client;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The options that name a target, shared by the commands (a picocli mixin): each names the setting
 * of {@link TargetSettings} it stands for, so that an option, a system property and an environment
 * variable mean the same thing everywhere (see {@code CommandLines}).
 */
public final class TargetOptions {
  @Option(
      names = "--target",
      paramLabel = "URL",
      descriptionKey = TargetSettings.URL,
      description =
          "Server root, e.g. http://127.0.0.1:8000. None: the embedded reference server, started"
              + " in this process.")
  String target;

  @Option(
      names = "--api-key",
      paramLabel = "KEY",
      descriptionKey = TargetSettings.API_KEY,
      description =
          "A key the target accepts; sent as API-KEY, or as a bearer token to a target that takes"
              + " only that. Masked in every report.")
  String apiKey;

  @Option(
      names = "--model",
      paramLabel = "NAME",
      descriptionKey = TargetSettings.TARGET_MODEL,
      description =
          "The model every request names. Default: "
              + TargetClient.MODEL_SOURCE
              + ", if the target lists any.")
  String model;

  @Option(
      names = "--header",
      paramLabel = "'NAME: VALUE'",
      descriptionKey = TargetSettings.HEADERS,
      description =
          "A header added to every request, for gateways and tenants; repeatable (one per line in"
              + " the property). Values of headers whose names speak of keys, tokens or auth are"
              + " masked in every report.")
  List<String> headers = new ArrayList<>();
}
