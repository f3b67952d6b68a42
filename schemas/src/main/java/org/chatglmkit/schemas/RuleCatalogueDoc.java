package org.chatglmkit.schemas;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The rule catalogue as a Markdown page ({@code docs/rules.md}), made from {@code rules.json} so
 * that the page cannot drift from the rules the tools judge: one table per area, each rule with its
 * profile, the section of the API reading that states it, its statement, and the schema locations
 * whose violations break it.
 *
 * <pre>{@code
 * String page = RuleCatalogueDoc.markdown(RuleCatalogue.get());
 * }</pre>
 */
public final class RuleCatalogueDoc {
  private RuleCatalogueDoc() {}

  /** The whole page. */
  public static String markdown(RuleCatalogue catalogue) {
    Map<String, List<Rule>> byArea = new LinkedHashMap<>();
    for (Rule rule : catalogue.all()) {
      byArea.computeIfAbsent(rule.area(), area -> new ArrayList<>()).add(rule);
    }
    StringBuilder page = new StringBuilder();
    page.append("# The rule catalogue\n\n")
        .append("Made from `schemas/src/main/resources/chatglm/rules.json` by `RuleCatalogueDoc`;")
        .append(" a test fails when this page is not current\n")
        .append("(`mvn -pl schemas test -Dchatglm.docs.write=true` writes it anew). ")
        .append(catalogue.all().size())
        .append(" rules in ")
        .append(byArea.size())
        .append(" areas. A rule's section is the section of\n")
        .append("[the API reading](api-reading.md) that states it; its profile is the one that")
        .append(" introduces it (`openai` runs judge\n`documented` rules too).\n");
    byArea.forEach(
        (area, rules) -> {
          page.append("\n## ").append(area).append(" (").append(rules.size()).append(")\n\n");
          page.append("| rule | profile | section | statement | schema locations |\n");
          page.append("| --- | --- | --- | --- | --- |\n");
          for (Rule rule : rules) {
            page.append("| `")
                .append(rule.id())
                .append("` | ")
                .append(rule.profile().id())
                .append(" | ")
                .append(rule.section())
                .append(" | ")
                .append(cell(rule.statement()))
                .append(" | ")
                .append(
                    rule.schemaLocations().stream()
                        .map(location -> "`" + location + "`")
                        .collect(Collectors.joining("<br>")))
                .append(" |\n");
          }
        });
    return page.toString();
  }

  private static String cell(String text) {
    return text.replace("|", "\\|");
  }
}
