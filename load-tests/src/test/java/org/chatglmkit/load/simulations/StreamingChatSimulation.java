package org.chatglmkit.load.simulations;

/**
 * The streamed-chat simulation for the Gatling Maven plugin, which runs the simulations it finds
 * among the test classes; the command ({@code chatglm-load.jar}) runs {@link
 * org.chatglmkit.load.scenarios.StreamingChatSimulation} itself.
 */
public class StreamingChatSimulation
    extends org.chatglmkit.load.scenarios.StreamingChatSimulation {}
