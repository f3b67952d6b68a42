package org.chatglmkit.load.workload;

/** A dataset that cannot be used, with the file and line (or entry) at fault. */
public final class DatasetException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public DatasetException(String message) {
    super(message);
  }
}
