package io.kiln.acl;

import io.kiln.resp.Errors;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ACL: every user by name (in byte order, as ACL LIST and ACL SAVE list them), the default
 * user that new connections start as, the ACL log, and the rules' parsing into users (ACL
 * SETUSER, {@code user} directives, the ACL file). Names and rules are bytes kept as ISO-8859-1
 * strings, so any byte survives.
 *
 * <p>Owned by the shard event loop: Kiln runs one shard verticle, whose loop runs every ACL
 * command and every check; the boot code fills it before the server listens. ACL LOAD reads the
 * file on a worker and hands the text back to the loop, which parses and swaps it in.
 */
public final class Acl {
  static final Logger log = LoggerFactory.getLogger(Acl.class);

  /** Check results, ordered as Redis orders them when choosing which denial to report. */
  public static final int OK = 0;
  public static final int DENIED_CMD = 1;
  public static final int DENIED_KEY = 2;
  public static final int DENIED_CHANNEL = 4;

  /** A rule that could not be applied: the rule and why. */
  public static final class RuleError extends Exception {
    private static final long serialVersionUID = 1L;
    public final String rule;
    public final AclProblem.Kind kind;

    RuleError(String rule, AclProblem.Kind kind) {
      super(rule, null, false, false);
      this.rule = rule;
      this.kind = kind;
    }
  }

  /** Rules opening a "(" selector that no argument closes; {@code rule} is where it opened. */
  public static final class UnmatchedParenthesis extends Exception {
    private static final long serialVersionUID = 1L;
    public final String rule;

    UnmatchedParenthesis(String rule) {
      super(rule, null, false, false);
      this.rule = rule;
    }
  }

  private final Catalog catalog;
  private TreeMap<String, User> users = new TreeMap<>();
  private final User defaultUser;
  private final AclLog aclLog = new AclLog();
  /** acl-pubsub-default: new users (and reset) get allchannels when true. */
  private boolean allChannelsByDefault;

  public Acl(Catalog catalog, boolean allChannelsByDefault) {
    this.catalog = catalog;
    this.allChannelsByDefault = allChannelsByDefault;
    this.defaultUser = newDefaultUser();
    users.put("default", defaultUser);
  }

  private User newDefaultUser() {
    User u = new User("default", catalog, allChannelsByDefault);
    try {
      u.apply(bytes("+@all"), allChannelsByDefault);
      u.apply(bytes("~*"), allChannelsByDefault);
      u.apply(bytes("&*"), allChannelsByDefault);
      u.apply(bytes("on"), allChannelsByDefault);
      u.apply(bytes("nopass"), allChannelsByDefault);
    } catch (AclProblem e) {
      throw new IllegalStateException(e); // fixed rules that always apply
    }
    return u;
  }

  public Catalog catalog() {
    return catalog;
  }

  public AclLog log() {
    return aclLog;
  }

  public User defaultUser() {
    return defaultUser;
  }

  public User user(String name) {
    return users.get(name);
  }

  /** Every user, in name order. */
  public Collection<User> users() {
    return users.values();
  }

  /** acl-pubsub-default changed: users created or reset from now on get it. */
  public void allChannelsByDefault(boolean yes) {
    allChannelsByDefault = yes;
  }

  /** requirepass: the default user's only password, or nopass when empty. */
  public void requirePass(String password) {
    try {
      defaultUser.apply(bytes("resetpass"), allChannelsByDefault);
      if (password == null || password.isEmpty()) {
        defaultUser.apply(bytes("nopass"), allChannelsByDefault);
      } else {
        defaultUser.apply(bytes(">" + password), allChannelsByDefault);
      }
    } catch (AclProblem e) {
      throw new IllegalStateException(e);
    }
  }

  /** New connections must authenticate: the default user has a password or is off. */
  public boolean authRequired() {
    return !defaultUser.nopass || !defaultUser.enabled;
  }

  /**
   * Credentials check of AUTH and HELLO: the user if it exists, is on and the password opens
   * it, else null.
   */
  public User authenticate(String name, byte[] password) {
    User u = users.get(name);
    if (u == null || !u.enabled) {
      return null;
    }
    return u.passwordMatches(password) ? u : null;
  }

  // ---- changes ----

  /**
   * ACL SETUSER: applies {@code rules} to a copy of the user (a new one if none has the name)
   * and, when every rule applied, makes the copy the user. Returns the user's rules before
   * (null when it was created), so the caller can close its subscribers that lost a channel.
   */
  public User setUser(String name, List<byte[]> rules)
      throws RuleError, UnmatchedParenthesis {
    List<byte[]> merged = mergeSelectors(rules);
    User existing = users.get(name);
    User staged = existing == null ? new User(name, catalog, allChannelsByDefault)
        : existing.copy(name);
    for (byte[] rule : merged) {
      try {
        staged.apply(rule, allChannelsByDefault);
      } catch (AclProblem e) {
        throw new RuleError(text(rule), e.kind());
      }
    }
    if (existing == null) {
      users.put(name, staged);
      return null;
    }
    User before = existing.copy(name);
    existing.assign(staged);
    return before;
  }

  /** ACL DELUSER of one user (never the default one): the removed user, or null. */
  public User deleteUser(String name) {
    return users.remove(name);
  }

  /**
   * True when every channel that {@code before} allowed is still allowed to {@code after}
   * literally (Redis's test before it closes subscribers of a changed user).
   */
  public static boolean keepsChannels(User before, User after) {
    List<byte[]> upcoming = new ArrayList<>();
    for (Selector s : after.selectors) {
      if (s.allChannels) {
        return true;
      }
      upcoming.addAll(s.channels);
    }
    for (Selector s : before.selectors) {
      if (s.allChannels) {
        return false;
      }
      for (byte[] c : s.channels) {
        boolean found = false;
        for (byte[] u : upcoming) {
          found |= java.util.Arrays.equals(u, c);
        }
        if (!found) {
          return false;
        }
      }
    }
    return true;
  }

  /** Joins rules of one "(...)" selector that came split over several arguments. */
  static List<byte[]> mergeSelectors(List<byte[]> rules) throws UnmatchedParenthesis {
    List<byte[]> out = new ArrayList<>();
    StringBuilder open = null;
    String openedAt = null;
    for (byte[] r : rules) {
      String s = text(r);
      if (open == null && s.startsWith("(") && !s.endsWith(")")) {
        open = new StringBuilder(s);
        openedAt = s;
        continue;
      }
      if (open != null) {
        open.append(' ').append(s);
        if (s.endsWith(")")) {
          out.add(bytes(open.toString()));
          open = null;
        }
        continue;
      }
      out.add(r);
    }
    if (open != null) {
      throw new UnmatchedParenthesis(openedAt);
    }
    return out;
  }

  // ---- the configuration file's users and the ACL file ----

  /**
   * Checks one {@code user} directive of the configuration file as Redis does when reading it
   * (unknown commands are let through here and refused at load). Throws on a syntax error.
   */
  public void checkUserDirective(List<String> args) throws RuleError, UnmatchedParenthesis {
    User fake = new User("fake", catalog, allChannelsByDefault);
    List<byte[]> rules = new ArrayList<>();
    for (String a : args.subList(1, args.size())) {
      rules.add(bytes(a));
    }
    for (byte[] rule : mergeSelectors(rules)) {
      try {
        fake.apply(rule, allChannelsByDefault);
      } catch (AclProblem e) {
        if (e.kind() != AclProblem.Kind.UNKNOWN_NAME) {
          throw new RuleError(text(rule), e.kind());
        }
      }
    }
  }

  /**
   * Loads the configuration file's {@code user} directives at startup (each: name, rules);
   * returns null, or the line Redis logs before it exits.
   */
  public String loadConfigured(List<List<String>> directives, Function<AclProblem.Kind, String> texts) {
    for (List<String> d : directives) {
      String name = d.get(0);
      if (hasSpaces(bytes(name))) {
        return "Spaces not allowed in ACL usernames";
      }
      User u = users.get(name);
      if (u == null) {
        u = new User(name, catalog, allChannelsByDefault);
        users.put(name, u);
      } else {
        try {
          u.apply(bytes("reset"), allChannelsByDefault);
        } catch (AclProblem e) {
          throw new IllegalStateException(e);
        }
      }
      List<byte[]> rules = new ArrayList<>();
      for (String a : d.subList(1, d.size())) {
        rules.add(bytes(a));
      }
      try {
        for (byte[] rule : mergeSelectors(rules)) {
          try {
            u.apply(rule, allChannelsByDefault);
          } catch (AclProblem e) {
            return "Error loading ACL rule '" + text(rule) + "' for the user named '" + name
                + "': " + texts.apply(e.kind());
          }
        }
      } catch (UnmatchedParenthesis e) {
        return "Error loading ACL rule '" + e.rule + "' for the user named '" + name
            + "': Unmatched parenthesis";
      }
      if (!u.enabled) {
        log.info("The user '{}' is disabled (there is no 'on' modifier in the user "
            + "description). Make sure this is not a configuration error.", name);
      }
    }
    return null;
  }

  /** The outcome of parsing an ACL file: the users, or Redis's one-line list of errors. */
  public record Loaded(TreeMap<String, User> users, String errors) {}

  /**
   * Parses an ACL file's text ({@code fileName} as errors name it) into a new set of users,
   * touching nothing; {@link #install} makes them the ACL.
   */
  public Loaded parseFile(String fileName, String content,
      Function<AclProblem.Kind, String> texts) {
    TreeMap<String, User> fresh = new TreeMap<>();
    StringBuilder errors = new StringBuilder();
    String[] lines = content.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      int linenum = i + 1;
      String line = trim(lines[i], " \t\r\n");
      if (line.isEmpty()) {
        continue;
      }
      String[] argv = line.split(" ", -1);
      if (!argv[0].equals("user") || argv.length < 2) {
        errors.append(String.format(Errors.ACL_FILE_NO_USER_KEYWORD, fileName, linenum));
        continue;
      }
      if (hasSpaces(bytes(argv[1]))) {
        errors.append(String.format(Errors.ACL_FILE_BAD_USERNAME, fileName, linenum, argv[1]));
        continue;
      }
      if (fresh.containsKey(argv[1])) {
        errors.append(String.format(Errors.ACL_FILE_DUPLICATE_USER, argv[1], linenum));
        continue;
      }
      User u = new User(argv[1], catalog, allChannelsByDefault);
      fresh.put(argv[1], u);
      List<byte[]> rules = new ArrayList<>();
      for (int j = 2; j < argv.length; j++) {
        rules.add(bytes(argv[j]));
      }
      List<byte[]> merged;
      try {
        merged = mergeSelectors(rules);
      } catch (UnmatchedParenthesis e) {
        errors.append(String.format(Errors.ACL_FILE_UNMATCHED_PARENTHESIS, fileName, linenum));
        continue;
      }
      boolean syntaxError = false;
      for (byte[] rule : merged) {
        byte[] r = bytes(trim(text(rule), "\t\r\n"));
        try {
          u.apply(r, allChannelsByDefault);
        } catch (AclProblem e) {
          if (e.kind() == AclProblem.Kind.UNKNOWN_NAME) {
            errors.append(String.format(Errors.ACL_FILE_UNKNOWN_NAME, fileName, linenum,
                text(r), texts.apply(e.kind())));
          } else if (!syntaxError) {
            errors.append(String.format(Errors.ACL_FILE_RULE, fileName, linenum,
                texts.apply(e.kind())));
            syntaxError = true;
          }
        }
      }
    }
    if (errors.length() > 0) {
      errors.append(Errors.ACL_FILE_NOT_LOADED);
      return new Loaded(null, errors.toString());
    }
    return new Loaded(fresh, null);
  }

  /**
   * Makes loaded users the ACL: the default user keeps its identity (connections hold it) and
   * takes the file's rules (or the built-in ones when the file has none). Returns the users
   * that were replaced, whose connections the caller closes.
   */
  public List<User> install(TreeMap<String, User> fresh) {
    User newDefault = fresh.remove("default");
    defaultUser.assign(newDefault != null ? newDefault : newDefaultUser());
    List<User> gone = new ArrayList<>();
    for (Map.Entry<String, User> e : users.entrySet()) {
      if (e.getValue() != defaultUser) {
        gone.add(e.getValue());
      }
    }
    fresh.put("default", defaultUser);
    users = fresh;
    return gone;
  }

  /** ACL SAVE's content: one "user NAME rules" line per user. */
  public String fileContent() {
    StringBuilder sb = new StringBuilder();
    for (User u : users.values()) {
      sb.append("user ").append(u.name).append(' ').append(u.describe()).append('\n');
    }
    return sb.toString();
  }

  // ---- byte helpers ----

  /** Bytes as a string of the same length (ISO-8859-1: every byte one char). */
  public static String text(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  public static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Spaces and NUL are not allowed in user names and patterns (C's isspace, or 0). */
  public static boolean hasSpaces(byte[] s) {
    for (byte b : s) {
      if (b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == 0x0b || b == '\f' || b == 0) {
        return true;
      }
    }
    return false;
  }

  private static String trim(String s, String chars) {
    int a = 0;
    int b = s.length();
    while (a < b && chars.indexOf(s.charAt(a)) >= 0) {
      a++;
    }
    while (b > a && chars.indexOf(s.charAt(b - 1)) >= 0) {
      b--;
    }
    return s.substring(a, b);
  }

  /** The words of a "(...)" selector, split on spaces (quotes group words, as sdssplitargs). */
  static List<byte[]> splitArgs(String s) {
    List<byte[]> out = new ArrayList<>();
    StringBuilder cur = null;
    char quote = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          cur.append(c);
        }
      } else if (c == '"' || c == '\'') {
        if (cur == null) {
          cur = new StringBuilder();
        }
        quote = c;
      } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        if (cur != null) {
          out.add(bytes(cur.toString()));
          cur = null;
        }
      } else {
        if (cur == null) {
          cur = new StringBuilder();
        }
        cur.append(c);
      }
    }
    if (cur != null) {
      out.add(bytes(cur.toString()));
    }
    return out;
  }
}
