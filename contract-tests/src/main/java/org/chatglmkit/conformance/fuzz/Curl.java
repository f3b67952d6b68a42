package org.chatglmkit.conformance.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.chatglmkit.conformance.http.Auth;
import org.chatglmkit.conformance.http.Call;
import org.chatglmkit.conformance.http.ChatGlmClient;
import org.chatglmkit.mockserver.client.Target;

/**
 * A request as a ready-to-run {@code curl} command. The key is never written: the command reads it
 * from {@code $CHATGLM_API_KEY}; other secret headers show masked.
 */
final class Curl {
  private Curl() {}

  static String of(Target target, Auth auth, FuzzCase fuzzCase) {
    byte[] body = Call.chat(fuzzCase.json(), auth).bodyNaming(target.model());
    StringBuilder curl = new StringBuilder("curl -sS");
    if (fuzzCase.streamed()) {
      curl.append(" -N");
    }
    curl.append(" -X POST '").append(target.url(ChatGlmClient.CHAT_PATH)).append("' \\\n");
    curl.append("  -H 'Content-Type: application/json' \\\n");
    if (auth.present()) {
      curl.append("  -H \"")
          .append(auth.header())
          .append(": ")
          .append(auth.value().startsWith("Bearer ") ? "Bearer " : "")
          .append("$CHATGLM_API_KEY\" \\\n");
    }
    for (Map.Entry<String, String> header : target.shownHeaders().entrySet()) {
      curl.append("  -H '")
          .append(header.getKey())
          .append(": ")
          .append(header.getValue().replace("'", "'\\''"))
          .append("' \\\n");
    }
    curl.append("  --data-binary @- <<'JSON'\n");
    curl.append(new String(body, StandardCharsets.UTF_8)).append("\nJSON");
    return curl.toString();
  }
}
