package org.chatglmkit.load.simulations;

/**
 * The unstreamed-chat simulation for the Gatling Maven plugin, which runs the simulations it finds
 * among the test classes; the command ({@code chatglm-load.jar}) runs {@link
 * org.chatglmkit.load.scenarios.ChatCompletionSimulation} itself.
 */
public class ChatCompletionSimulation
    extends org.chatglmkit.load.scenarios.ChatCompletionSimulation {}
