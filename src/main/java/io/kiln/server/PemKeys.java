package io.kiln.server;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Reads a PEM private key as OpenSSL writes them: PKCS#8 ("PRIVATE KEY"), PKCS#8 encrypted with a
 * password ("ENCRYPTED PRIVATE KEY", OpenSSL 3's default PBES2), PKCS#1 RSA ("RSA PRIVATE KEY")
 * and SEC1 EC ("EC PRIVATE KEY"). The legacy PEM encryption of the last two (a "Proc-Type:
 * 4,ENCRYPTED" header) is refused: convert such a key with {@code openssl pkcs8 -topk8}.
 *
 * <p>Threads: stateless; any thread (the caller reads the file on a worker).
 */
final class PemKeys {
  private static final Pattern BLOCK = Pattern.compile(
      "-----BEGIN ([A-Z ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);
  /** DER of the AlgorithmIdentifier rsaEncryption (1.2.840.113549.1.1.1) with NULL params. */
  private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48,
      (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
  /** DER of the OID id-ecPublicKey (1.2.840.10045.2.1). */
  private static final byte[] EC_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d,
      0x02, 0x01};

  private PemKeys() {}

  /** The first private key of {@code pem}, decrypted with {@code pass} when encrypted. */
  static PrivateKey read(byte[] pem, String pass)
      throws GeneralSecurityException, java.io.IOException {
    Matcher m = BLOCK.matcher(new String(pem, StandardCharsets.ISO_8859_1));
    while (m.find()) {
      String type = m.group(1);
      String body = m.group(2);
      if (!type.endsWith("PRIVATE KEY")) {
        continue;
      }
      if (body.contains("Proc-Type:")) {
        throw new IllegalArgumentException("legacy PEM encryption is not supported (convert "
            + "the key to PKCS#8 with openssl pkcs8 -topk8)");
      }
      byte[] der = Base64.getMimeDecoder().decode(body.trim());
      return switch (type) {
        case "PRIVATE KEY" -> pkcs8(der);
        case "ENCRYPTED PRIVATE KEY" -> pkcs8(decrypt(der, pass));
        case "RSA PRIVATE KEY" -> pkcs8(wrap(0, RSA_ALGORITHM, der));
        case "EC PRIVATE KEY" -> pkcs8(wrap(0, ecAlgorithm(der), der));
        default -> throw new IllegalArgumentException("unsupported private key type");
      };
    }
    throw new IllegalArgumentException("no PEM private key found");
  }

  private static byte[] decrypt(byte[] der, String pass)
      throws GeneralSecurityException, java.io.IOException {
    if (pass == null || pass.isEmpty()) {
      throw new IllegalArgumentException("the key is encrypted and tls-key-file-pass is not set");
    }
    EncryptedPrivateKeyInfo info = new EncryptedPrivateKeyInfo(der);
    // PBES2's parameters name the real cipher (PBEWithHmacSHA256AndAES_256, say)
    String alg = info.getAlgParameters() != null ? info.getAlgParameters().toString()
        : info.getAlgName();
    SecretKeyFactory f = SecretKeyFactory.getInstance(alg);
    Cipher c = Cipher.getInstance(alg);
    c.init(Cipher.DECRYPT_MODE, f.generateSecret(new PBEKeySpec(pass.toCharArray())),
        info.getAlgParameters());
    return info.getKeySpec(c).getEncoded();
  }

  private static PrivateKey pkcs8(byte[] der) throws GeneralSecurityException {
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    for (String alg : new String[] {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "DSA"}) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(spec);
      } catch (GeneralSecurityException notThisOne) {
        // try the next algorithm
      }
    }
    throw new java.security.spec.InvalidKeySpecException("unsupported private key");
  }

  /** The AlgorithmIdentifier of a SEC1 key: id-ecPublicKey with the curve of its [0] field. */
  private static byte[] ecAlgorithm(byte[] sec1) {
    // ECPrivateKey ::= SEQUENCE { version INTEGER, privateKey OCTET STRING,
    //                             parameters [0] OID, publicKey [1] BIT STRING OPTIONAL }
    int[] at = {0};
    header(sec1, at, 0x30);
    skip(sec1, at); // version
    skip(sec1, at); // privateKey
    int len = header(sec1, at, 0xa0);
    ByteArrayOutputStream alg = new ByteArrayOutputStream();
    alg.write(EC_OID, 0, EC_OID.length);
    alg.write(sec1, at[0], len);
    return tlv(0x30, alg.toByteArray());
  }

  /** PKCS#8 PrivateKeyInfo: SEQUENCE { version, algorithm, OCTET STRING key }. */
  private static byte[] wrap(int version, byte[] algorithm, byte[] key) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(0x02);
    body.write(0x01);
    body.write(version);
    body.write(algorithm, 0, algorithm.length);
    byte[] octets = tlv(0x04, key);
    body.write(octets, 0, octets.length);
    return tlv(0x30, body.toByteArray());
  }

  private static byte[] tlv(int tag, byte[] value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(tag);
    int n = value.length;
    if (n < 0x80) {
      out.write(n);
    } else if (n < 0x100) {
      out.write(0x81);
      out.write(n);
    } else if (n < 0x10000) {
      out.write(0x82);
      out.write(n >> 8);
      out.write(n);
    } else {
      out.write(0x83);
      out.write(n >> 16);
      out.write(n >> 8);
      out.write(n);
    }
    out.write(value, 0, n);
    return out.toByteArray();
  }

  /** Reads a tag (which must be {@code tag}) and a length at {@code at}; returns the length. */
  private static int header(byte[] der, int[] at, int tag) {
    if (at[0] >= der.length || (der[at[0]] & 0xff) != tag) {
      throw new IllegalArgumentException("bad private key");
    }
    at[0]++;
    int first = der[at[0]++] & 0xff;
    if (first < 0x80) {
      return first;
    }
    int len = 0;
    for (int i = 0; i < (first & 0x7f); i++) {
      len = (len << 8) | (der[at[0]++] & 0xff);
    }
    return len;
  }

  private static void skip(byte[] der, int[] at) {
    int len = header(der, at, der[at[0]] & 0xff);
    at[0] += len;
  }
}
