package io.kiln.acl;

/**
 * Why an ACL rule could not be applied (Redis's errno values in ACLSetUser); the command layer
 * turns each into Redis's text from the error catalogue. Immutable; any thread.
 */
public final class AclProblem extends Exception {
  private static final long serialVersionUID = 1L;

  /** The kinds of rule errors, named after what went wrong. */
  public enum Kind {
    /** ENOENT: an unknown command or category. */
    UNKNOWN_NAME,
    /** EINVAL: a rule not understood, or a pattern with spaces. */
    SYNTAX,
    /** EEXIST: a key pattern after allkeys. */
    KEY_AFTER_ALL,
    /** EISDIR: a channel pattern after allchannels. */
    CHANNEL_AFTER_ALL,
    /** ENODEV: removing a password the user does not have. */
    NO_SUCH_PASSWORD,
    /** EBADMSG: a hash that is not 64 lowercase hex characters. */
    BAD_HASH,
    /** ECHILD: a first argument allowed for a subcommand. */
    FIRST_ARG_OF_SUBCOMMAND,
    /** EALREADY: one user defined twice in the configuration. */
    DUPLICATE_USER
  }

  private final Kind kind;

  public AclProblem(Kind kind) {
    super(kind.name(), null, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
