package org.chatglmkit.mockserver.core;

/**
 * One call of an offered function, as an answer carries it (docs/api-reading.md section 8).
 *
 * @param id the id a tool message quotes to answer it ({@code call_…}); {@code null} in a legacy
 *     {@code function_call}, which has none
 * @param name the function's name
 * @param arguments a string that holds one JSON object
 */
public record ToolCall(String id, String name, String arguments) {}
