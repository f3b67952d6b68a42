package org.chatglmkit.schemas;

import java.util.List;

/**
 * One rule of the catalogue ({@code chatglm/rules.json}): what a conforming server does.
 *
 * @param id stable identifier, e.g. {@code REQ-TEMPERATURE}; suites and reports speak in these
 * @param area the group the rule belongs to (auth, request, completion, streaming, errors, ...)
 * @param profile the profile that introduces the rule
 * @param section the section of docs/api-reading.md that states it
 * @param statement the rule in one line
 * @param schemaLocations schema locations whose violations break this rule
 */
public record Rule(
    String id,
    String area,
    Profile profile,
    String section,
    String statement,
    List<String> schemaLocations) {

  public Rule {
    schemaLocations = List.copyOf(schemaLocations);
  }
}
