using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace SecureChat.Compat;

/// <summary>
/// RSA-PSS with SHA-256 and MGF1-SHA-256 at the salt lengths the seed-rsa program uses: it signs
/// with the maximum salt length (222 bytes for RSA-2048) and verifies with "maximum", which
/// OpenSSL treats as "any length". .NET's <see cref="RSASignaturePadding.Pss"/> fixes the salt at
/// the hash length (32) for both, so it cannot verify the program's signatures. These two
/// operations therefore call OpenSSL's EVP_PKEY_sign / EVP_PKEY_verify directly — the same
/// libcrypto that System.Security.Cryptography uses on Linux, on the EVP_PKEY of an
/// <see cref="RSAOpenSsl"/> key — with the salt length set; no primitive is implemented here.
/// </summary>
internal static class RsaPss
{
    private const string LibCrypto = "libcrypto.so.3";
    private const int RsaPkcs1PssPadding = 6;
    private const int SaltLengthAuto = -2;
    private const int SaltLengthMax = -3;

    /// <summary>True where OpenSSL 3 is the platform's crypto library (Linux).</summary>
    [System.Runtime.Versioning.SupportedOSPlatformGuard("linux")]
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>Signs SHA-256(message) with the maximum salt length, as the seed program does.</summary>
    public static byte[] SignMaxSalt(RSAOpenSsl key, ReadOnlySpan<byte> message)
    {
        byte[] digest = SHA256.HashData(message);
        using SafeEvpPKeyHandle handle = key.DuplicateKeyHandle();
        IntPtr context = NewContext(handle);
        try
        {
            Check(EVP_PKEY_sign_init(context), "EVP_PKEY_sign_init");
            Configure(context, SaltLengthMax);
            nuint length = (nuint)(key.KeySize / 8);
            byte[] signature = new byte[(int)length];
            Check(EVP_PKEY_sign(context, signature, ref length, digest, (nuint)digest.Length), "EVP_PKEY_sign");
            return signature[..(int)length];
        }
        finally
        {
            EVP_PKEY_CTX_free(context);
        }
    }

    /// <summary>Verifies a PSS signature over SHA-256(message) whatever its salt length.</summary>
    public static bool Verify(RSAOpenSsl key, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        byte[] digest = SHA256.HashData(message);
        using SafeEvpPKeyHandle handle = key.DuplicateKeyHandle();
        IntPtr context = NewContext(handle);
        try
        {
            Check(EVP_PKEY_verify_init(context), "EVP_PKEY_verify_init");
            Configure(context, SaltLengthAuto);
            byte[] sig = signature.ToArray();
            return EVP_PKEY_verify(context, sig, (nuint)sig.Length, digest, (nuint)digest.Length) == 1;
        }
        finally
        {
            EVP_PKEY_CTX_free(context);
            ERR_clear_error();
        }
    }

    private static IntPtr NewContext(SafeEvpPKeyHandle key)
    {
        IntPtr context = EVP_PKEY_CTX_new(key.DangerousGetHandle(), IntPtr.Zero);
        return context != IntPtr.Zero ? context : throw new CryptographicException("EVP_PKEY_CTX_new failed.");
    }

    private static void Configure(IntPtr context, int saltLength)
    {
        IntPtr sha256 = EVP_sha256();
        Check(EVP_PKEY_CTX_set_rsa_padding(context, RsaPkcs1PssPadding), "EVP_PKEY_CTX_set_rsa_padding");
        Check(EVP_PKEY_CTX_set_signature_md(context, sha256), "EVP_PKEY_CTX_set_signature_md");
        Check(EVP_PKEY_CTX_set_rsa_mgf1_md(context, sha256), "EVP_PKEY_CTX_set_rsa_mgf1_md");
        Check(EVP_PKEY_CTX_set_rsa_pss_saltlen(context, saltLength), "EVP_PKEY_CTX_set_rsa_pss_saltlen");
    }

    private static void Check(int result, string function)
    {
        if (result <= 0)
        {
            ERR_clear_error();
            throw new CryptographicException($"OpenSSL {function} failed.");
        }
    }

#pragma warning disable SYSLIB1054 // DllImport, not LibraryImport: the generated stubs would need unsafe code, which this library keeps off.
    [DllImport(LibCrypto)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr EVP_PKEY_CTX_new(IntPtr key, IntPtr engine);

    [DllImport(LibCrypto)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern void EVP_PKEY_CTX_free(IntPtr context);

    [DllImport(LibCrypto)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int EVP_PKEY_sign_init(IntPtr context);

    [DllImport(LibCrypto)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int EVP_PKEY_verify_init(IntPtr context);

    [DllImport(LibCrypto)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int EVP_PKEY_sign(IntPtr context, byte[] signature, ref nuint signatureLength, byte[] digest, nuint digestLength);

    [DllImport(LibCrypto)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int EVP_PKEY_verify(IntPtr context, byte[] signature, nuint signatureLength, byte[] digest, nuint digestLength);

    [DllImport(LibCrypto)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int EVP_PKEY_CTX_set_rsa_padding(IntPtr context, int padding);

    [DllImport(LibCrypto)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int EVP_PKEY_CTX_set_rsa_pss_saltlen(IntPtr context, int saltLength);

    [DllImport(LibCrypto)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int EVP_PKEY_CTX_set_signature_md(IntPtr context, IntPtr md);

    [DllImport(LibCrypto)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int EVP_PKEY_CTX_set_rsa_mgf1_md(IntPtr context, IntPtr md);

    [DllImport(LibCrypto)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr EVP_sha256();

    [DllImport(LibCrypto)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern void ERR_clear_error();
#pragma warning restore SYSLIB1054
}
