package org.chatglmkit.mockserver.core;

/** One turn of a conversation: role, content (may be {@code null} for assistant), name. */
public record ChatMessage(String role, String content, String name) {}
