package org.chatglmkit.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatling.javaapi.core.Session;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.chatglmkit.load.workload.Conversation;
import org.chatglmkit.mockserver.client.Target;
import org.chatglmkit.mockserver.client.ToolCalls;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.schemas.Shape;

/**
 * Each virtual user's conversation, called from the scenarios: {@link #begin} (its arrival, against
 * the schedule), then for each turn {@link #body}, {@link #sending}, the request, and {@link
 * #streamFinished} or {@link #answered}; each answer joins the next turn's context, and an answer
 * that calls tools, to a turn that offers them, is answered with tool results (an agent loop).
 */
public final class Sessions {
  private final LoadConfig config;
  private final Workload workload;
  private final ClientTokenizer tokenizer;
  private final Target target;
  private final Metrics metrics;
  private final Conformance conformance;
  private final StreamTracker streams;
  private final ScheduleKeeper schedule;
  private final AgentStats agent;
  private final Map<Long, UserSession> sessions = new ConcurrentHashMap<>();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong finished = new AtomicLong();

  private static final class UserSession {
    final Conversation conversation;
    final ArrayNode earlier;
    int turn;
    boolean broken;
    long tokenizerInput = -1;
    long sentAt;
    boolean measured;
    boolean pending;
    // The agent loop of the current turn: its round, the calls and results so far, its start.
    int round;
    ArrayNode rounds = Json.MAPPER.createArrayNode();
    boolean roundDue;
    long turnStart;

    UserSession(Conversation conversation) {
      this.conversation = conversation;
      this.earlier = conversation.context().deepCopy();
    }
  }

  Sessions(
      LoadPlan plan,
      Target target,
      Metrics metrics,
      Conformance conformance,
      ScheduleKeeper schedule,
      AgentStats agent) {
    this.config = plan.config();
    this.workload = plan.workload();
    this.tokenizer = plan.tokenizer();
    this.target = target;
    this.metrics = metrics;
    this.conformance = conformance;
    this.streams = new StreamTracker(metrics, conformance, config.streamTimeout());
    this.schedule = schedule;
    this.agent = agent;
  }

  /** Requests sent and not yet ended. */
  long inFlight() {
    return Math.max(0, sent.get() - finished.get());
  }

  /** Counts the measured requests that never ended (Gatling stopped them at the run's limit). */
  void failUnfinished() {
    sessions
        .values()
        .forEach(
            user -> {
              if (user.pending && user.measured) {
                metrics.failure(user.sentAt, "unfinished-at-end");
              }
            });
  }

  /** A user arrives: its lag behind the schedule is measured, its conversation chosen. */
  public Session begin(Session session) {
    long index = session.getLong("arrival");
    schedule.arrived(index, System.nanoTime());
    sessions.put(session.userId(), new UserSession(workload.conversation(index)));
    return session;
  }

  /** The number of turns of the user's conversation. */
  public int turns(Session session) {
    UserSession user = sessions.get(session.userId());
    return user == null ? 0 : Math.min(config.turns(), user.conversation.turns().size());
  }

  /** A turn starts: its first round is due. */
  public Session startTurn(Session session) {
    UserSession user = sessions.get(session.userId());
    if (user != null) {
      user.roundDue = !user.broken;
    }
    return session;
  }

  /**
   * Whether the turn needs another request: its first, or one that answers the calls of the last
   * (agent loops).
   */
  public boolean roundDue(Session session) {
    UserSession user = sessions.get(session.userId());
    return user != null && user.roundDue && !user.broken;
  }

  /** The tools the user's current turn offers, or {@code null}. */
  private ArrayNode tools(UserSession user) {
    return config.agent().toolsFor(user.conversation.turns().get(user.turn).tools());
  }

  /** The request body of the user's next turn (or of its next round). */
  public String body(Session session, boolean stream) {
    UserSession user = sessions.get(session.userId());
    Conversation.Turn turn = user.conversation.turns().get(user.turn);
    ArrayNode messages = turn.messages().deepCopy().addAll(user.rounds);
    ArrayNode all = user.earlier.deepCopy().addAll(messages);
    user.tokenizerInput = tokenizer == null ? -1 : tokenizer.prompt(all);
    int maxTokens = turn.maxTokens() != null ? turn.maxTokens() : config.maxTokens();
    return Requests.body(
        user.earlier,
        messages,
        maxTokens,
        config.temperature(),
        stream,
        target.modelName().orElse(null),
        target.profile(),
        tools(user));
  }

  /** The user's request is about to be written. */
  public Session sending(Session session, boolean stream) {
    long now = System.nanoTime();
    UserSession user = sessions.get(session.userId());
    user.sentAt = now;
    if (user.round == 0) {
      user.turnStart = now;
    }
    user.measured = schedule.measured(now);
    user.pending = true;
    sent.incrementAndGet();
    if (stream) {
      streams.start(session.userId(), now, user.measured, user.tokenizerInput);
    }
    return session;
  }

  /** One SSE message of a user's stream; {@code true} when the stream is done. */
  public boolean streamMessage(long userId, String message) {
    return streams.onMessage(userId, message);
  }

  /** The user's stream ended; {@code failed} is Gatling's verdict. */
  public Session streamFinished(Session session) {
    UserSession user = sessions.get(session.userId());
    boolean calling = user != null && tools(user) != null;
    StreamTracker.Outcome outcome =
        streams.finish(
            session.userId(),
            session.isFailed(),
            tokenizer == null ? null : tokenizer::text,
            turns(session) > 1 || calling);
    turnDone(
        session.userId(),
        outcome.ok(),
        outcome.answer(),
        outcome.calls(),
        outcome.firstNanos(),
        outcome.outputTokens());
    return session;
  }

  /**
   * An unstreamed answer: status, body and Retry-After as Gatling saved them ({@code status}
   * missing when no answer came).
   */
  public Session answered(Session session) {
    long end = System.nanoTime();
    UserSession user = sessions.get(session.userId());
    Integer status = session.contains("status") ? session.getInt("status") : null;
    String body = session.contains("answer") ? session.getString("answer") : null;
    String retryAfter = session.contains("retryAfter") ? session.getString("retryAfter") : null;
    JsonNode json = Conformance.parse(body == null ? "null" : body);
    String answer = "";
    boolean ok = false;
    ToolCalls calls = null;
    long outputTokens = -1;
    if (status == null) {
      record(user, () -> metrics.failure(user.sentAt, "no-answer"));
    } else if (status != 200) {
      conformance.checkError(status, json, retryAfter);
      record(user, () -> metrics.failure(user.sentAt, "http-" + status));
    } else if (!json.isObject()) {
      conformance.check(Shape.COMPLETION, json);
      record(user, () -> metrics.failure(user.sentAt, "answer-not-json"));
    } else {
      conformance.check(Shape.COMPLETION, json, body);
      answer = json.path("choices").path(0).path("message").path("content").asText("");
      JsonNode usage = json.path("usage");
      String text = answer;
      Metrics.Tokens tokens =
          new Metrics.Tokens(
              usage.path("prompt_tokens").asLong(-1),
              usage.path("completion_tokens").asLong(-1),
              user.tokenizerInput,
              tokenizer == null ? -1 : tokenizer.text(text),
              -1,
              text.isBlank() ? 0 : text.strip().split("\\s+").length);
      record(user, () -> metrics.success(user.sentAt, List.of(end), end, tokens));
      ok = true;
      calls = ToolCalls.ofCompletion(json);
      outputTokens = usage.path("completion_tokens").asLong(-1);
    }
    turnDone(session.userId(), ok, answer, calls, end - user.sentAt, outputTokens);
    return session;
  }

  private void record(UserSession user, Runnable measure) {
    if (user.measured) {
      measure.run();
    } else {
      metrics.warmup();
    }
  }

  /**
   * A request of the user's turn ended. An answer that calls, to a turn that offers tools, is
   * checked (arguments that parse and fit the function's parameters) and answered with the tool
   * results, and the turn goes on, up to {@code --max-tool-rounds} requests; otherwise the turn
   * ends and its messages join the conversation.
   */
  private void turnDone(
      long userId, boolean ok, String answer, ToolCalls calls, long firstNanos, long outputTokens) {
    finished.incrementAndGet();
    UserSession user = sessions.get(userId);
    if (user == null) {
      return;
    }
    user.pending = false;
    user.roundDue = false;
    if (!ok) {
      user.broken = true;
      return;
    }
    ArrayNode tools = tools(user);
    boolean atLimit = false;
    if (tools != null && calls != null && calls.any()) {
      if (user.measured) {
        agent.called(calls.calls().size(), firstNanos, outputTokens);
      }
      conformance.checkCalls(calls, tools);
      if (user.round + 1 < config.agent().maxRounds()) {
        user.rounds.addAll(config.agent().answer(calls));
        user.round++;
        user.roundDue = true;
        return;
      }
      atLimit = true;
    }
    if (tools != null && user.measured) {
      agent.turn(user.round + 1, System.nanoTime() - user.turnStart, atLimit);
    }
    Conversation.Turn turn = user.conversation.turns().get(user.turn);
    user.earlier.addAll(turn.messages());
    user.earlier.addAll(user.rounds);
    ObjectNode reply = user.earlier.addObject();
    reply.put("role", "assistant");
    reply.put("content", answer);
    user.turn++;
    user.round = 0;
    user.rounds = Json.MAPPER.createArrayNode();
  }

  /** Whether the user's conversation stops here (a turn failed). */
  public boolean broken(Session session) {
    UserSession user = sessions.get(session.userId());
    return user == null || user.broken;
  }

  /** The user leaves. */
  public Session end(Session session) {
    sessions.remove(session.userId());
    return session;
  }
}
