package org.chatglmkit.conformance.fuzz;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A rule broken by generated requests, with the simplest request found that still breaks it.
 *
 * @param rule the catalogue rule
 * @param kind what went wrong (e.g. {@code status 500 to a valid request})
 * @param detail one line about the minimal request's answer
 * @param cases how many generated requests broke the rule this way
 * @param firstCase the number (from 0) of the first generated request that did
 * @param minimal the minimal request, as generated (the model is added when sent)
 * @param requestKind valid, valid and streamed, or the rule it breaks
 * @param status the status the minimal request got
 * @param answer the start of that answer
 * @param curl the minimal request as a command, key taken from the environment
 * @param shrinkSteps how many simpler candidates were sent while shrinking
 * @param shrunk whether shrinking ran to the end (false: stopped by its bound or by time)
 */
public record Finding(
    String rule,
    String kind,
    String detail,
    int cases,
    int firstCase,
    ObjectNode minimal,
    String requestKind,
    int status,
    String answer,
    String curl,
    int shrinkSteps,
    boolean shrunk) {

  public String minimalJson() {
    return FuzzCase.json(minimal);
  }
}
