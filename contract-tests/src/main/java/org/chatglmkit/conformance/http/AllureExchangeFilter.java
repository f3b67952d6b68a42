package org.chatglmkit.conformance.http;

import io.qameta.allure.Allure;
import io.restassured.filter.Filter;
import io.restassured.filter.FilterContext;
import io.restassured.http.Header;
import io.restassured.response.Response;
import io.restassured.specification.FilterableRequestSpecification;
import io.restassured.specification.FilterableResponseSpecification;
import java.nio.charset.StandardCharsets;

/** Attaches each request and its answer to the running Allure test, with every key masked. */
final class AllureExchangeFilter implements Filter {
  private static final int MAX_BODY_CHARS = 8 * 1024;

  private final Secrets secrets;

  AllureExchangeFilter(Secrets secrets) {
    this.secrets = secrets;
  }

  @Override
  public Response filter(
      FilterableRequestSpecification request,
      FilterableResponseSpecification responseSpec,
      FilterContext context) {
    Response response = context.next(request, responseSpec);
    StringBuilder text = new StringBuilder();
    text.append(request.getMethod()).append(' ').append(request.getURI()).append('\n');
    for (Header header : request.getHeaders()) {
      text.append(header.getName()).append(": ").append(header.getValue()).append('\n');
    }
    text.append('\n').append(bodyText(request.getBody())).append("\n\n");
    text.append(response.getStatusLine()).append('\n');
    for (Header header : response.getHeaders()) {
      text.append(header.getName()).append(": ").append(header.getValue()).append('\n');
    }
    text.append('\n').append(clip(new String(response.asByteArray(), StandardCharsets.UTF_8)));
    Allure.addAttachment(
        request.getMethod() + " " + request.getDerivedPath() + " → " + response.getStatusCode(),
        "text/plain",
        secrets.mask(text.toString()),
        ".txt");
    return response;
  }

  private static String bodyText(Object body) {
    if (body == null) {
      return "(no body)";
    }
    if (body instanceof byte[] bytes) {
      return clip(new String(bytes, StandardCharsets.UTF_8));
    }
    return clip(body.toString());
  }

  private static String clip(String text) {
    return text.length() <= MAX_BODY_CHARS
        ? text
        : text.substring(0, MAX_BODY_CHARS) + "… (" + text.length() + " characters)";
  }
}
