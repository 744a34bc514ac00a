namespace M2MSec.Dm;

/// <summary>SyncML/OMA DM status codes used by this implementation (OMA-TS-DM_RepPro-V1_2 §10, SyncML RepPro Appendix).</summary>
public static class DmStatusCode
{
    public const int Ok = 200;
    public const int AuthenticationAccepted = 212;
    public const int AcceptedForProcessing = 202;
    public const int ChunkAccepted = 213;
    public const int NotExecuted = 215;
    public const int AtomicRollbackOk = 216;
    public const int BadRequest = 400;
    public const int InvalidCredentials = 401;
    public const int Forbidden = 403;
    public const int NotFound = 404;
    public const int CommandNotAllowed = 405;
    public const int OptionalFeatureNotSupported = 406;
    public const int MissingCredentials = 407;
    public const int IncompleteCommand = 412;
    public const int RequestEntityTooLarge = 413;
    public const int UnsupportedMediaTypeOrFormat = 415;
    public const int AlreadyExists = 418;
    public const int SizeMismatch = 424;
    public const int PermissionDenied = 425;
    public const int CommandFailed = 500;
    public const int ServiceUnavailable = 503;
    public const int AtomicFailed = 507;
    public const int AtomicRollbackFailed = 516;
}
