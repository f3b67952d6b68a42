package org.chatglmkit.load.workload;

import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.ToIntFunction;
import org.chatglmkit.mockserver.core.Json;

/**
 * Prompts of a chosen length in tokens, with a chosen answer length ({@code max_tokens}), for
 * capacity runs where the lengths matter and the words do not.
 *
 * <p>A prompt is a run of common English words. With a tokenizer the words are added until the text
 * is the wanted number of tokens; without one, one word stands for one token (true for these words
 * in the ChatGLM vocabularies, within a few percent), and the summary says so.
 */
public final class Synthetic {
  private static final String[] WORDS =
      ("the of and to in is was for on that with as by it at from he this be are or his not an"
              + " had but which have were one all they she has been more their can there if will"
              + " her would so who when up what out no about into them some time than only other"
              + " new two its may over first also after these most many any could did where made"
              + " such back then way through well down year each just those because very even work"
              + " life day state world part home water city house group number people music river"
              + " light paper story school family game power table")
          .split(" ");

  private Synthetic() {}

  /**
   * A text of {@code tokens} tokens: counted with {@code counter} when given, else one per word.
   */
  public static String text(int tokens, Random random, ToIntFunction<String> counter) {
    StringBuilder text = new StringBuilder();
    if (counter == null) {
      for (int i = 0; i < tokens; i++) {
        text.append(i == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
      }
      return text.toString();
    }
    // Grow by words, then step back to the longest text within the count.
    String best = "";
    while (true) {
      String next = best + (best.isEmpty() ? "" : " ") + WORDS[random.nextInt(WORDS.length)];
      if (counter.applyAsInt(next) > tokens) {
        return best.isEmpty() ? next : best;
      }
      best = next;
      if (counter.applyAsInt(best) == tokens) {
        return best;
      }
    }
  }

  /**
   * {@code count} conversations of {@code turns} turns each, lengths drawn from the distributions.
   */
  public static List<Conversation> conversations(
      int count,
      int turns,
      Lengths input,
      Lengths output,
      long seed,
      ToIntFunction<String> counter) {
    Random random = new Random(seed);
    List<Conversation> conversations = new ArrayList<>(count);
    for (int c = 0; c < count; c++) {
      List<Conversation.Turn> list = new ArrayList<>(turns);
      for (int t = 0; t < turns; t++) {
        list.add(turn(input.draw(random), output.draw(random), random, counter));
      }
      conversations.add(new Conversation(Json.MAPPER.createArrayNode(), list));
    }
    return conversations;
  }

  /** One request of a given input and output length. */
  public static Conversation.Turn turn(
      int inputTokens, int outputTokens, Random random, ToIntFunction<String> counter) {
    ArrayNode messages =
        Datasets.array(Datasets.message("user", text(inputTokens, random, counter)));
    return new Conversation.Turn(messages, outputTokens, inputTokens);
  }
}
