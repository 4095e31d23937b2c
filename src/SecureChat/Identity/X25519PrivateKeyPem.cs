using System.Formats.Asn1;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using SecureChat.Crypto;
using SecureChat.Crypto.Sodium;

namespace SecureChat.Identity;

/// <summary>
/// An X25519 private key as unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), the form
/// <c>openssl genpkey -algorithm X25519</c> writes and <c>openssl pkey</c> reads (issue 12 §7).
/// RFC 8410 §7: OneAsymmetricKey { version 0 (or 1 with a public key), AlgorithmIdentifier
/// { id-X25519 = 1.3.101.110, parameters absent (§3) }, privateKey = OCTET STRING wrapping
/// CurvePrivateKey ::= OCTET STRING (32 bytes) }. The DER is 48 bytes; the PEM is one base64 line.
/// <para>
/// The secret never enters an unpinned array: the DER structure is built by <see cref="AsnWriter"/>
/// around 32 zero bytes and the key is copied over them in a pinned buffer; decoding reads slices
/// of a pinned buffer (<see cref="AsnReader"/> does not copy primitive contents). Every pinned
/// intermediate, including the PEM characters, is wiped before returning.
/// </para>
/// </summary>
internal static class X25519PrivateKeyPem
{
    /// <summary>The PEM label (RFC 7468 §10).</summary>
    public const string Label = "PRIVATE KEY";

    /// <summary>id-X25519 (RFC 8410 §3).</summary>
    public const string X25519Oid = "1.3.101.110";

    /// <summary>The size of an X25519 private key.</summary>
    public const int KeySize = 32;

    /// <summary>The longest PEM text accepted (an X25519 key with every optional field is far shorter).</summary>
    public const int MaxPemLength = 4096;

    private static readonly Encoding StrictAscii = Encoding.GetEncoding("us-ascii", EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);

    private const string EcPublicKeyOid = "1.2.840.10045.2.1";
    private const string Ed25519Oid = "1.3.101.112";
    private const int DerSize = 48;

    /// <summary>The exact length of <see cref="Encode"/>'s output: the PEM text and a final line feed.</summary>
    public static int EncodedLength { get; } = PemEncoding.GetEncodedSize(Label.Length, DerSize) + 1;

    /// <summary>
    /// Encodes <paramref name="privateKey"/> as PKCS#8 PEM; the returned pinned buffer holds the
    /// ASCII text with a final line feed (<see cref="EncodedLength"/> bytes). The caller disposes it.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="privateKey"/> is not 32 bytes.</exception>
    public static SecretBuffer Encode(ReadOnlySpan<byte> privateKey, SecretRegistry? registry = null)
    {
        if (privateKey.Length != KeySize)
        {
            throw new ArgumentException($"An X25519 private key is {KeySize} bytes.", nameof(privateKey));
        }

        using var der = new SecretBuffer(DerSize, registry);
        WriteStructure(der.Span);
        privateKey.CopyTo(der.Span[(DerSize - KeySize)..]);

        var text = new SecretBuffer(EncodedLength, registry);
        char[] pem = GC.AllocateArray<char>(EncodedLength, pinned: true);
        try
        {
            if (!PemEncoding.TryWrite(Label, der.Span, pem, out int written) || written != EncodedLength - 1)
            {
                throw new CryptographicException("PEM encoding failed.");
            }

            pem[written] = '\n';
            Encoding.ASCII.GetBytes(pem, text.Span);
            return text;
        }
        catch
        {
            text.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(pem.AsSpan()));
        }
    }

    /// <summary>Decodes PEM text (ASCII bytes, as read from a file) into the 32-byte <paramref name="privateKey"/>.</summary>
    /// <exception cref="InvalidDataException">The text is not exactly one PKCS#8 X25519 private key; the message says what it is instead where it can tell.</exception>
    public static void Decode(ReadOnlySpan<byte> pemText, Span<byte> privateKey)
    {
        if (pemText.Length > MaxPemLength)
        {
            throw new InvalidDataException($"The key text is longer than {MaxPemLength} bytes: it is not an X25519 private key.");
        }

        char[] chars = GC.AllocateArray<char>(Math.Max(1, pemText.Length), pinned: true);
        try
        {
            int count;
            try
            {
                count = StrictAscii.GetChars(pemText, chars);
            }
            catch (DecoderFallbackException)
            {
                throw new InvalidDataException("The key text is not ASCII PEM.");
            }

            Decode(chars.AsSpan(0, count), privateKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(chars.AsSpan()));
        }
    }

    /// <summary>Decodes PEM characters into the 32-byte <paramref name="privateKey"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="privateKey"/> is not 32 bytes.</exception>
    /// <exception cref="InvalidDataException">The text is not exactly one PKCS#8 X25519 private key.</exception>
    public static void Decode(ReadOnlySpan<char> pem, Span<byte> privateKey)
    {
        if (privateKey.Length != KeySize)
        {
            throw new ArgumentException($"An X25519 private key is {KeySize} bytes.", nameof(privateKey));
        }

        if (pem.Length > MaxPemLength)
        {
            throw new InvalidDataException($"The key text is longer than {MaxPemLength} characters: it is not an X25519 private key.");
        }

        if (!PemEncoding.TryFind(pem, out PemFields fields))
        {
            throw new InvalidDataException("The key text is not PEM (no -----BEGIN/-----END block).");
        }

        ReadOnlySpan<char> label = pem[fields.Label];
        if (!label.SequenceEqual(Label))
        {
            throw new InvalidDataException($"The key is a PEM \"{Sanitize(label)}\", not an unencrypted PKCS#8 \"{Label}\" (an X25519 key).");
        }

        if (!pem[fields.Location.End..].IsWhiteSpace() || !pem[..fields.Location.Start].IsWhiteSpace())
        {
            throw new InvalidDataException("The key text holds more than one PEM block.");
        }

        // A pinned array (not a SecretBuffer) so that AsnReader can read it as ReadOnlyMemory without a copy.
        byte[] der = GC.AllocateArray<byte>(Math.Max(1, fields.DecodedDataLength), pinned: true);
        try
        {
            if (!Convert.TryFromBase64Chars(pem[fields.Base64Data], der, out int derLength))
            {
                throw new InvalidDataException("The key's base64 does not decode.");
            }

            ReadPrivateKey(der.AsMemory(0, derLength), privateKey);
        }
        catch (AsnContentException e)
        {
            CryptographicOperations.ZeroMemory(privateKey);
            throw new InvalidDataException("The key is not valid DER (PKCS#8 PrivateKeyInfo, RFC 5208 / RFC 5958).", e);
        }
        catch
        {
            CryptographicOperations.ZeroMemory(privateKey);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    /// <summary>
    /// Writes the key to a new file readable only by its owner (mode 0600 on Unix), as
    /// <see cref="IdentityKeyPair.Save"/> does. Never overwrites.
    /// </summary>
    /// <exception cref="IOException">The file exists or cannot be written.</exception>
    public static void Save(string path, ReadOnlySpan<byte> privateKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using SecretBuffer text = Encode(privateKey);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0 };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var file = new FileStream(path, options);
        file.Write(text.Span);
        file.Flush(flushToDisk: true);
    }

    /// <summary>Reads a key file written by <see cref="Save"/> or by <c>openssl genpkey -algorithm X25519</c>.</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="InvalidDataException">The file is not an X25519 private key in PKCS#8 PEM form (the message names the file).</exception>
    public static void Load(string path, Span<byte> privateKey)
    {
        using SecretBuffer bytes = KeyFile.Read(path, MaxPemLength, "an X25519 private key", out int total);
        try
        {
            Decode(bytes.Span[..total], privateKey);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"The key file {path}: {e.Message}", e);
        }
    }

    /// <summary>RFC 8410 §7's structure with an all-zero key: the key's 32 bytes are the last 32 of the DER.</summary>
    private static void WriteStructure(Span<byte> destination)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER, initialCapacity: DerSize);
        using (writer.PushSequence())
        {
            writer.WriteInteger(0);
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(X25519Oid);
            }

            using (writer.PushOctetString())
            {
                writer.WriteOctetString(stackalloc byte[KeySize]);
            }
        }

        if (!writer.TryEncode(destination, out int written) || written != DerSize)
        {
            throw new CryptographicException("PKCS#8 encoding failed.");
        }
    }

    private static void ReadPrivateKey(ReadOnlyMemory<byte> der, Span<byte> privateKey)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER);
        AsnReader info = outer.ReadSequence();
        outer.ThrowIfNotEmpty();
        if (!info.TryReadInt32(out int version) || version is not (0 or 1))
        {
            throw new InvalidDataException("The key is not a PKCS#8 PrivateKeyInfo of version 0 or 1.");
        }

        AsnReader algorithm = info.ReadSequence();
        string oid = algorithm.ReadObjectIdentifier();
        if (oid != X25519Oid)
        {
            throw new InvalidDataException(oid switch
            {
                EcPublicKeyOid => "The key is an elliptic-curve (P-256, SecureChat v1) key, not X25519.",
                Ed25519Oid => "The key is an Ed25519 signing key, not an X25519 key.",
                _ => $"The key's algorithm is {oid}, not X25519 ({X25519Oid}).",
            });
        }

        if (algorithm.HasData)
        {
            throw new InvalidDataException("The X25519 algorithm identifier has parameters; RFC 8410 §3 says they MUST be absent.");
        }

        if (!info.TryReadPrimitiveOctetString(out ReadOnlyMemory<byte> wrapped))
        {
            throw new InvalidDataException("The key's privateKey field is not a primitive OCTET STRING.");
        }

        var inner = new AsnReader(wrapped, AsnEncodingRules.DER);
        if (!inner.TryReadPrimitiveOctetString(out ReadOnlyMemory<byte> key) || key.Length != KeySize || inner.HasData)
        {
            throw new InvalidDataException($"The key's CurvePrivateKey is not an OCTET STRING of {KeySize} bytes (RFC 8410 §7).");
        }

        var attributesTag = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
        if (info.HasData && info.PeekTag().HasSameClassAndValue(attributesTag))
        {
            info.ReadEncodedValue();
        }

        var publicKeyTag = new Asn1Tag(TagClass.ContextSpecific, 1);
        if (info.HasData && info.PeekTag().HasSameClassAndValue(publicKeyTag))
        {
            // RFC 5958 OneAsymmetricKey v2 may carry the public key: it must be the key's own.
            if (version != 1
                || !info.TryReadPrimitiveBitString(out int unusedBits, out ReadOnlyMemory<byte> publicKey, publicKeyTag)
                || unusedBits != 0
                || publicKey.Length != KeySize)
            {
                throw new InvalidDataException("The key's publicKey field is malformed.");
            }

            Span<byte> derived = stackalloc byte[KeySize];
            Sodium.X25519Base(key.Span, derived);
            if (!CryptographicOperations.FixedTimeEquals(derived, publicKey.Span))
            {
                throw new InvalidDataException("The key's publicKey field does not belong to its private key.");
            }
        }

        info.ThrowIfNotEmpty();
        key.Span.CopyTo(privateKey);
    }

    private static string Sanitize(ReadOnlySpan<char> label)
    {
        var builder = new StringBuilder(Math.Min(label.Length, 40));
        foreach (char c in label[..Math.Min(label.Length, 40)])
        {
            builder.Append(c is >= ' ' and <= '~' ? c : '?');
        }

        return builder.ToString();
    }
}
