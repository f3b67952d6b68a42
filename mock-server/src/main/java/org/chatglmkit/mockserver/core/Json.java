package org.chatglmkit.mockserver.core;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The project's one JSON mapper: bounded nesting so a hostile body fails fast with a 400. */
public final class Json {
  /** Deeper bodies are refused; no legal request nests more than a few levels. */
  public static final int MAX_NESTING_DEPTH = 64;

  public static final ObjectMapper MAPPER =
      new ObjectMapper(
          JsonFactory.builder()
              .streamReadConstraints(
                  StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
              .build());

  private Json() {}
}
