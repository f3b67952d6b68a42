package org.chatglmkit.conformance.checks;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a class of checks: one instance per class (so an answer fetched once serves several rules)
 * and the {@link ConformanceExtension}. Each check method carries the ids of the rules it checks as
 * JUnit tags.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(ConformanceExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public @interface ConformanceCheck {}
