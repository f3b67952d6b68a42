package org.chatglmkit.conformance.checks;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;

/**
 * Names each check after its rules, so that JUnit XML and Allure read as the rule catalogue: {@code
 * [REQ-TEMPERATURE] refuses a temperature outside zero to two}.
 */
public final class RuleDisplayNames extends DisplayNameGenerator.Standard {

  @Override
  public String generateDisplayNameForMethod(
      List<Class<?>> enclosingInstanceTypes, Class<?> testClass, Method testMethod) {
    String rules =
        Arrays.stream(testMethod.getAnnotationsByType(Tag.class))
            .map(Tag::value)
            .collect(Collectors.joining(", "));
    return (rules.isEmpty() ? "" : "[" + rules + "] ") + sentence(testMethod.getName());
  }

  /** {@code refusesAnUnknownKey} → {@code refuses an unknown key}. */
  static String sentence(String camelCase) {
    return camelCase
        .replaceAll("([a-z])([A-Z0-9])", "$1 $2")
        .replaceAll("([0-9])([A-Za-z])", "$1 $2")
        .replaceAll("([A-Z])([A-Z][a-z])", "$1 $2")
        .toLowerCase(java.util.Locale.ROOT);
  }
}
