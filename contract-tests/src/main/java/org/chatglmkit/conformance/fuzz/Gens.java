package org.chatglmkit.conformance.fuzz;

import io.kotest.property.Arb;
import io.kotest.property.RTree;
import io.kotest.property.RandomSource;
import io.kotest.property.Sample;
import io.kotest.property.arbitrary.BindKt;
import io.kotest.property.arbitrary.Codepoint;
import io.kotest.property.arbitrary.CollectionsKt;
import io.kotest.property.arbitrary.ConstKt;
import io.kotest.property.arbitrary.FilterKt;
import io.kotest.property.arbitrary.IntsKt;
import io.kotest.property.arbitrary.LongsKt;
import io.kotest.property.arbitrary.MapKt;
import io.kotest.property.arbitrary.NullKt;
import io.kotest.property.arbitrary.StringsKt;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import kotlin.LazyKt;

/**
 * Kotest's property-based generators ({@link Arb}) as plain Java calls. Every generator keeps
 * Kotest's shrinks: a list shrinks to fewer and simpler elements, a string to a shorter and simpler
 * one, an optional value to none, a combination component by component.
 */
final class Gens {
  private Gens() {}

  static <A> Arb<A> just(A value) {
    return ConstKt.constant(Arb.Companion, value);
  }

  /** One of {@code values}, chosen uniformly (not shrunk to another). */
  static <A> Arb<A> oneOf(List<A> values) {
    return CollectionsKt.of(Arb.Companion, values);
  }

  /** Integers from {@code min} to {@code max}; they shrink towards {@code min}. */
  static Arb<Integer> ints(int min, int max) {
    return map(IntsKt.nonNegativeInt(Arb.Companion, max - min), offset -> min + offset);
  }

  /** Longs from {@code min} to {@code max} (a span below 2^63); they shrink towards {@code min}. */
  static Arb<Long> longs(long min, long max) {
    return map(LongsKt.nonNegativeLong(Arb.Companion, max - min), offset -> min + offset);
  }

  /** Strings of {@code min}..{@code max} code points drawn from {@code first}..{@code last}. */
  static Arb<String> strings(int min, int max, int first, int last) {
    Arb<Codepoint> points = map(ints(first, last), Codepoint::new);
    return StringsKt.string(Arb.Companion, min, max, points);
  }

  /** Strings of {@code min}..{@code max} characters drawn from {@code chars}. */
  static Arb<String> strings(int min, int max, char[] chars) {
    List<Codepoint> points = new ArrayList<>();
    for (char c : chars) {
      points.add(new Codepoint(c));
    }
    return StringsKt.string(Arb.Companion, min, max, oneOf(points));
  }

  /**
   * Lists of {@code min}..{@code max} items. Unlike Kotest's own lists (which shrink only by
   * dropping items), these shrink by dropping any item and by shrinking each item: every one of
   * {@code max} slots holds an item or nothing, and shrinks to nothing first.
   */
  static <A> Arb<List<A>> lists(Arb<A> items, int min, int max) {
    return lists(items, min, max, 0.5);
  }

  /** The same, each of the {@code max} slots filled with probability {@code filled}. */
  static <A> Arb<List<A>> lists(Arb<A> items, int min, int max, double filled) {
    List<Arb<A>> slots = new ArrayList<>();
    for (int i = 0; i < max; i++) {
      slots.add(orNull(items, 1 - filled));
    }
    Arb<List<A>> present =
        map(
            all(slots),
            values -> {
              List<A> list = new ArrayList<>();
              for (A value : values) {
                if (value != null) {
                  list.add(value);
                }
              }
              return list;
            });
    return filter(present, list -> list.size() >= min);
  }

  /**
   * A generator chosen by weight for each value, {@code weighted(3, a, 1, b)}; the value shrinks
   * within the generator that made it.
   */
  @SuppressWarnings("unchecked")
  static <A> Arb<A> weighted(Object... weightsAndArbs) {
    List<Arb<A>> arbs = new ArrayList<>();
    List<Integer> bounds = new ArrayList<>();
    int total = 0;
    for (int i = 0; i < weightsAndArbs.length; i += 2) {
      total += (Integer) weightsAndArbs[i];
      bounds.add(total);
      arbs.add((Arb<A>) weightsAndArbs[i + 1]);
    }
    return MapKt.flatMap(
        ints(0, total - 1),
        pick -> {
          int chosen = 0;
          while (pick >= bounds.get(chosen)) {
            chosen++;
          }
          return arbs.get(chosen);
        });
  }

  static <A, B> Arb<B> map(Arb<A> arb, Function<? super A, ? extends B> function) {
    return MapKt.map(arb, function::apply);
  }

  static <A> Arb<A> filter(Arb<A> arb, Predicate<? super A> predicate) {
    return FilterKt.filter(arb, predicate::test);
  }

  /**
   * {@code null} (absent) with the given probability. The value shrinks to absent first, and keeps
   * that option at every step of its shrinking (Kotest's own {@code orNull} offers it only at the
   * first), so a field is dropped whenever the failure does not need it.
   */
  static <A> Arb<A> orNull(Arb<A> arb, double probability) {
    Arb<A> base = NullKt.orNull(arb, probability);
    return new Arb<>() {
      @Override
      public Sample<A> edgecase(RandomSource random) {
        return base.edgecase(random);
      }

      @Override
      public Sample<A> sample(RandomSource random) {
        Sample<A> sample = base.sample(random);
        return new Sample<>(sample.getValue(), absentFirst(sample.getShrinks()));
      }
    };
  }

  private static <A> RTree<A> absentFirst(RTree<A> tree) {
    return new RTree<>(
        tree.getValue(),
        LazyKt.lazy(
            () -> {
              List<RTree<A>> children = new ArrayList<>();
              if (tree.getValue().invoke() != null) {
                children.add(new RTree<>(() -> null, LazyKt.lazy(List::of)));
              }
              for (RTree<A> child : tree.getChildren().getValue()) {
                if (child.getValue().invoke() != null) {
                  children.add(absentFirst(child));
                }
              }
              return children;
            }));
  }

  static <A, B, C> Arb<C> both(Arb<A> a, Arb<B> b, BiFunction<? super A, ? super B, C> join) {
    return BindKt.bind(Arb.Companion, a, b, join::apply);
  }

  /** One value from each generator, in order. */
  static <A> Arb<List<A>> all(List<Arb<A>> arbs) {
    return BindKt.bind(Arb.Companion, arbs, values -> new ArrayList<>(values));
  }
}
