package org.chatglmkit.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The rule catalogue, loaded once from the classpath.
 *
 * <pre>{@code
 * Rule rule = RuleCatalogue.get().rule("REQ-TEMPERATURE");
 * }</pre>
 */
public final class RuleCatalogue {
  static final String RESOURCE = "chatglm/rules.json";
  private static final String PROFILE_FILE = ".openai.schema.json#";
  private static final String PROFILE_FILE_PATTERN = "\\.openai\\.schema\\.json#";
  private static final RuleCatalogue INSTANCE = load();

  private final Map<String, Rule> rules;

  private RuleCatalogue(Map<String, Rule> rules) {
    this.rules = Collections.unmodifiableMap(rules);
  }

  /** The catalogue shipped in this jar. */
  public static RuleCatalogue get() {
    return INSTANCE;
  }

  /** Every rule, in catalogue order. */
  public List<Rule> all() {
    return List.copyOf(rules.values());
  }

  /** The rule with this id, if the catalogue has one. */
  public Optional<Rule> find(String id) {
    return Optional.ofNullable(rules.get(id));
  }

  /** The rule with this id; fails for an id that is not in the catalogue. */
  public Rule rule(String id) {
    Rule rule = rules.get(id);
    if (rule == null) {
      throw new IllegalArgumentException("no rule " + id + " in the catalogue");
    }
    return rule;
  }

  /**
   * The rule that owns a schema location such as {@code message.schema.json#/properties/role/enum}:
   * the rule with the longest listed location that is a prefix of it. A location in a profile's own
   * file ({@code message.openai.schema.json#/…}) that no rule lists belongs where the same place of
   * the documented file ({@code message.schema.json#/…}) does.
   */
  public Optional<Rule> ruleForSchemaLocation(String location) {
    Optional<Rule> rule = longestPrefix(location);
    if (rule.isEmpty() && location.contains(PROFILE_FILE)) {
      return longestPrefix(location.replaceFirst(PROFILE_FILE_PATTERN, ".schema.json#"));
    }
    return rule;
  }

  private Optional<Rule> longestPrefix(String location) {
    Rule best = null;
    int bestLength = -1;
    for (Rule rule : rules.values()) {
      for (String prefix : rule.schemaLocations()) {
        if (isPathPrefix(prefix, location) && prefix.length() > bestLength) {
          best = rule;
          bestLength = prefix.length();
        }
      }
    }
    return Optional.ofNullable(best);
  }

  private static boolean isPathPrefix(String prefix, String location) {
    if (!location.startsWith(prefix)) {
      return false;
    }
    return location.length() == prefix.length()
        || prefix.endsWith("#")
        || prefix.endsWith("/")
        || location.charAt(prefix.length()) == '/';
  }

  private static RuleCatalogue load() {
    try (InputStream in = RuleCatalogue.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the classpath");
      }
      JsonNode root = new ObjectMapper().readTree(in);
      Map<String, Rule> rules = new LinkedHashMap<>();
      for (JsonNode node : root.path("rules")) {
        List<String> locations = new ArrayList<>();
        node.path("schema").forEach(location -> locations.add(location.asText()));
        Rule rule =
            new Rule(
                node.path("id").asText(),
                node.path("area").asText(),
                Profile.parse(node.path("profile").asText()),
                node.path("section").asText(),
                node.path("statement").asText(),
                locations);
        if (rules.put(rule.id(), rule) != null) {
          throw new IllegalStateException("duplicate rule id " + rule.id() + " in " + RESOURCE);
        }
      }
      return new RuleCatalogue(rules);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }
}
