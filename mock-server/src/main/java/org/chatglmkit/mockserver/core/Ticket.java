package org.chatglmkit.mockserver.core;

/**
 * What one admitted call holds until its answer ends: a token reservation and a stream slot under
 * the key's limits ({@link RateLimiter}), a running sequence of the serving model ({@link
 * ServingModel}). Each method is safe to call more than once; only the first call counts.
 */
public interface Ticket {
  /** Nothing held. */
  Ticket NONE =
      new Ticket() {
        @Override
        public void settle(int promptTokens, int completionTokens) {}

        @Override
        public void endsAt(long nanos) {}

        @Override
        public void end() {}
      };

  /** The answer is generated: what it really used replaces what was reserved. */
  void settle(int promptTokens, int completionTokens);

  /** When the stream's last event is due ({@link System#nanoTime()}), as far as it is known. */
  void endsAt(long nanos);

  /** The answer has ended for the client (written or abandoned). */
  void end();

  /** Both tickets, {@code first} then {@code second}. */
  static Ticket both(Ticket first, Ticket second) {
    if (first == NONE) {
      return second;
    }
    if (second == NONE) {
      return first;
    }
    return new Ticket() {
      @Override
      public void settle(int promptTokens, int completionTokens) {
        first.settle(promptTokens, completionTokens);
        second.settle(promptTokens, completionTokens);
      }

      @Override
      public void endsAt(long nanos) {
        first.endsAt(nanos);
        second.endsAt(nanos);
      }

      @Override
      public void end() {
        first.end();
        second.end();
      }
    };
  }
}
