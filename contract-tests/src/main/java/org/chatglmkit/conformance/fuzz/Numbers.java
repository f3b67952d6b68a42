package org.chatglmkit.conformance.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.kotest.property.Arb;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/** Numbers a schema accepts: the edges of its range and just inside them, and values between. */
final class Numbers {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Numbers() {}

  /**
   * Numbers within {@code minimum}..{@code maximum}: the edges themselves and just inside them,
   * whole numbers, and decimals with up to three places (and some with seven).
   */
  static Arb<JsonNode> decimal(JsonNode schema) {
    BigDecimal min = schema.has("minimum") ? schema.path("minimum").decimalValue() : null;
    BigDecimal max = schema.has("maximum") ? schema.path("maximum").decimalValue() : null;
    BigDecimal low = min != null ? min : BigDecimal.valueOf(-1_000_000);
    BigDecimal high = max != null ? max : BigDecimal.valueOf(1_000_000);
    List<JsonNode> edges = new ArrayList<>();
    for (BigDecimal edge :
        List.of(
            low, low.add(new BigDecimal("0.001")), high, high.subtract(new BigDecimal("0.001")))) {
      edges.add(NODES.numberNode(edge));
    }
    return Gens.weighted(
        2, Gens.oneOf(edges),
        1, Gens.map(Gens.longs(low.longValue(), high.longValue()), NODES::numberNode),
        4, scaled(low, high, 3),
        1, scaled(low, high, 1),
        1, scaled(low, low.add(BigDecimal.ONE.movePointLeft(4)), 7));
  }

  /** Decimals from {@code low} to {@code high} with {@code scale} places. */
  private static Arb<JsonNode> scaled(BigDecimal low, BigDecimal high, int scale) {
    long from = low.movePointRight(scale).longValueExact();
    long to = high.movePointRight(scale).longValueExact();
    return Gens.map(
        Gens.longs(from, to), units -> NODES.numberNode(BigDecimal.valueOf(units, scale)));
  }

  /**
   * Integers within {@code minimum}..{@code maximum}: the edges and small values; where there is no
   * maximum, mostly {@code typical} values above the minimum and now and then the values where
   * integer types overflow.
   */
  static Arb<JsonNode> whole(JsonNode schema, int typical) {
    long min = schema.has("minimum") ? schema.path("minimum").asLong() : -1_000_000;
    long max = schema.has("maximum") ? schema.path("maximum").asLong() : Long.MAX_VALUE;
    List<Long> edges = new ArrayList<>(List.of(min, Math.min(max, min + 1)));
    Arb<Long> values;
    if (max == Long.MAX_VALUE) {
      List<Long> overflow = List.of(65_535L, 65_536L, (long) Integer.MAX_VALUE, 1L << 31, 1L << 53);
      values =
          Gens.weighted(
              2, Gens.oneOf(edges),
              9, Gens.longs(min, min + typical - 1),
              1, Gens.oneOf(overflow));
    } else {
      edges.add(max);
      values =
          Gens.weighted(
              2, Gens.oneOf(edges),
              5, Gens.longs(min, Math.min(max, min + 63)),
              1, Gens.longs(min, Math.min(max, min + 4095)));
    }
    return Gens.map(values, NODES::numberNode);
  }
}
