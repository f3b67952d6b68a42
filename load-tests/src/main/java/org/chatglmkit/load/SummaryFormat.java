package org.chatglmkit.load;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/**
 * How a run's summary writes its figures, shared by the report, the report page, the capacity table
 * and the merge of several injectors: the metric and count names, two-decimal rounding, and
 * histograms as compressed Base64 (so that summaries merge).
 */
final class SummaryFormat {
  private SummaryFormat() {}

  static final String[] METRICS = {"ttft", "tpot", "itl", "e2el"};

  /** The counts and rates shown first, in the printed table and on the report page. */
  static final String[] COUNTS = {
    "completed",
    "failed",
    "error_rate",
    "request_throughput",
    "request_goodput",
    "output_throughput",
    "total_token_throughput",
    "total_input_tokens",
    "total_output_tokens",
    "warmup_requests",
    "buffered_streams",
    "checked_documents"
  };

  static String encode(Histogram histogram) {
    ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
    int length = histogram.encodeIntoCompressedByteBuffer(buffer);
    return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buffer.array(), length));
  }

  static Histogram decode(String base64) {
    try {
      return Histogram.decodeFromCompressedByteBuffer(
          ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 0);
    } catch (DataFormatException e) {
      throw new IllegalArgumentException("not an encoded histogram", e);
    }
  }

  static double round(double value) {
    return Math.round(value * 100) / 100.0;
  }
}
