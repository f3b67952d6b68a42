package org.chatglmkit.mockserver.server;

import com.github.tomakehurst.wiremock.common.Limit;
import com.github.tomakehurst.wiremock.common.Timing;
import com.github.tomakehurst.wiremock.http.Cookie;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.http.HttpHeader;
import com.github.tomakehurst.wiremock.http.HttpHeaders;
import com.github.tomakehurst.wiremock.http.ImmutableRequest;
import com.github.tomakehurst.wiremock.http.LoggedResponse;
import com.github.tomakehurst.wiremock.http.RequestMethod;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import org.chatglmkit.mockserver.core.Answer;
import org.chatglmkit.mockserver.core.ApiError;
import org.chatglmkit.mockserver.core.Responses;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.server.Request;

/**
 * Journals the calls the front handler answers without WireMock, as WireMock would have: the
 * request (its keys masked as {@link MaskedJournal} masks them), the API stub its route matches,
 * the answer's status, headers and body (a stream's events are not kept). Whatever reads the
 * journal (the admin API, {@code verify}, {@code getAllServeEvents}) sees them with WireMock's own.
 */
final class DirectJournal {
  /** Takes events whose key headers are masked already. */
  private final Consumer<ServeEvent> journal;

  private final Map<Answer.Route, StubMapping> stubs = new EnumMap<>(Answer.Route.class);

  DirectJournal(Consumer<ServeEvent> journal) {
    this.journal = journal;
  }

  /** The API stub that serves {@code route} when WireMock answers. */
  synchronized void stub(Answer.Route route, StubMapping stub) {
    stubs.put(route, stub);
  }

  void record(Request request, byte[] body, Answer answer) {
    List<HttpHeader> headers = new ArrayList<>();
    for (HttpField field : request.getHeaders()) {
      String name = field.getName();
      boolean key = name.equalsIgnoreCase("API-KEY") || name.equalsIgnoreCase("Authorization");
      headers.add(
          new HttpHeader(name, key ? MaskedJournal.mask(field.getValue()) : field.getValue()));
    }
    LoggedRequest logged =
        LoggedRequest.createFrom(
            new ImmutableRequest(
                request.getHttpURI().asString(),
                RequestMethod.fromString(request.getMethod()),
                request.getConnectionMetaData().getProtocol(),
                Request.getRemoteAddr(request),
                new HttpHeaders(headers),
                body,
                false,
                false) {
              // The API takes no cookies; WireMock's journal wants a map, not null.
              @Override
              public Map<String, Cookie> getCookies() {
                return Map.of();
              }
            });
    StubMapping stub;
    synchronized (this) {
      stub = stubs.get(answer.route());
    }
    journal.accept(
        new ServeEvent(
            UUID.randomUUID(),
            logged,
            stub,
            stub == null ? null : stub.getResponse(),
            LoggedResponse.from(response(answer), Limit.UNLIMITED),
            stub != null,
            Timing.UNTIMED,
            new ConcurrentLinkedQueue<>()));
  }

  private static com.github.tomakehurst.wiremock.http.Response response(Answer answer) {
    var response = com.github.tomakehurst.wiremock.http.Response.response();
    if (answer instanceof Answer.Refused refused) {
      ApiError error = refused.error();
      List<HttpHeader> headers = new ArrayList<>();
      headers.add(new HttpHeader("Content-Type", Responses.JSON));
      error.headers().forEach((name, value) -> headers.add(new HttpHeader(name, value)));
      return response
          .status(error.status())
          .headers(new HttpHeaders(headers))
          .body(error.toJson())
          .build();
    }
    if (answer instanceof Answer.Reset) {
      return response.fault(Fault.CONNECTION_RESET_BY_PEER).build();
    }
    if (answer instanceof Answer.Replayed replayed) {
      List<HttpHeader> headers = new ArrayList<>();
      replayed
          .recording()
          .headers()
          .forEach((name, value) -> headers.add(new HttpHeader(name, value)));
      return response
          .status(replayed.recording().status())
          .headers(new HttpHeaders(headers))
          .body(replayed.recording().wholeBody())
          .build();
    }
    if (answer instanceof Answer.Completed completed) {
      return response
          .status(200)
          .headers(new HttpHeaders(new HttpHeader("Content-Type", Responses.JSON)))
          .body(completed.json())
          .build();
    }
    return response
        .status(200)
        .headers(
            new HttpHeaders(
                new HttpHeader("Content-Type", Responses.EVENT_STREAM),
                new HttpHeader("Cache-Control", "no-cache")))
        .build();
  }
}
