package org.chatglmkit.mockserver.core;

/** Carries an {@link ApiError} from where it is found to the adapter that answers it. */
public final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient ApiError error;

  public ApiException(ApiError error) {
    super(error.status() + " " + error.type() + ": " + error.message(), null, false, false);
    this.error = error;
  }

  public ApiError error() {
    return error;
  }
}
