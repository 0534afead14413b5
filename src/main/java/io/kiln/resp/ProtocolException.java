package io.kiln.resp;

/**
 * A client broke the RESP protocol. The message is Redis's exact error text (without the leading
 * {@code -}); the connection answers it and then closes, as Redis does.
 * Created and handled on the event loop that owns the connection.
 */
public final class ProtocolException extends Exception {
  public ProtocolException(String redisError) {
    super(redisError, null, false, false);
  }
}
