//! The one domain error. Variants are Cognito's exception names; each adapter renders them in
//! its own dialect (`{"__type","message"}` for the JSON API, status codes for REST).

use std::fmt;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    NotAuthorized(String),
    UserNotFound(String),
    UsernameExists(String),
    InvalidPassword(String),
    UserNotConfirmed(String),
    PasswordResetRequired(String),
    CodeMismatch(String),
    ExpiredCode(String),
    TooManyFailedAttempts(String),
    ResourceNotFound(String),
    InvalidParameter(String),
    TooManyRequests(String),
    LimitExceeded(String),
    AliasExists(String),
    GroupExists(String),
    UnsupportedOperation(String),
    UnknownOperation(String),
    InvalidSignature(String),
    UnrecognizedClient(String),
    MissingAuthenticationToken(String),
    /// RevokeToken was given a token it cannot revoke (an ID or access token).
    UnsupportedTokenType(String),
    /// The caller is known, but its policies do not allow the action.
    AccessDenied(String),
    /// The request body is not the JSON the operation takes.
    Serialization(String),
    /// IAM: no role, user, policy or key of that name.
    NoSuchEntity(String),
    /// IAM: the name is taken.
    EntityAlreadyExists(String),
    /// IAM: the entity still has what must go first (policies, keys, attachments).
    DeleteConflict(String),
    /// IAM: a policy document that cannot be read or breaks the grammar; says where.
    MalformedPolicyDocument(String),
    /// Identity pools: a login already linked elsewhere, a name taken.
    ResourceConflict(String),
    /// Identity pools: no role for the identity's kind, or the role's trust refuses it.
    InvalidIdentityPoolConfiguration(String),
    /// Temporary credentials past their expiration.
    ExpiredToken(String),
    /// STS: a web identity token that is not valid.
    InvalidIdentityToken(String),
    /// Storage (S3): the code S3 answers with.
    Storage(crate::storage::StorageCode, String),
    /// Details go to the log only; clients see a generic message.
    Internal(Internal),
}

/// What went wrong inside: what was being done, and the error underneath, kept for the log.
#[derive(Debug, Clone)]
pub struct Internal {
    context: String,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl Internal {
    /// The underlying error, if there was one.
    pub fn source(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.source.as_deref()
    }
}

impl fmt::Display for Internal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.context)?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

/// Two internal errors are equal when they read the same: the source is for the log only.
impl PartialEq for Internal {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for Internal {}

impl Error {
    /// The Cognito exception name (`__type`).
    pub fn name(&self) -> &'static str {
        use Error::*;
        match self {
            NotAuthorized(_) => "NotAuthorizedException",
            UserNotFound(_) => "UserNotFoundException",
            UsernameExists(_) => "UsernameExistsException",
            InvalidPassword(_) => "InvalidPasswordException",
            UserNotConfirmed(_) => "UserNotConfirmedException",
            PasswordResetRequired(_) => "PasswordResetRequiredException",
            CodeMismatch(_) => "CodeMismatchException",
            ExpiredCode(_) => "ExpiredCodeException",
            TooManyFailedAttempts(_) => "TooManyFailedAttemptsException",
            ResourceNotFound(_) => "ResourceNotFoundException",
            InvalidParameter(_) => "InvalidParameterException",
            TooManyRequests(_) => "TooManyRequestsException",
            LimitExceeded(_) => "LimitExceededException",
            AliasExists(_) => "AliasExistsException",
            GroupExists(_) => "GroupExistsException",
            UnsupportedOperation(_) => "UnsupportedOperationException",
            UnknownOperation(_) => "UnknownOperationException",
            InvalidSignature(_) => "InvalidSignatureException",
            UnrecognizedClient(_) => "UnrecognizedClientException",
            MissingAuthenticationToken(_) => "MissingAuthenticationTokenException",
            AccessDenied(_) => "AccessDeniedException",
            UnsupportedTokenType(_) => "UnsupportedTokenTypeException",
            Serialization(_) => "SerializationException",
            NoSuchEntity(_) => "NoSuchEntityException",
            EntityAlreadyExists(_) => "EntityAlreadyExistsException",
            DeleteConflict(_) => "DeleteConflictException",
            MalformedPolicyDocument(_) => "MalformedPolicyDocumentException",
            ResourceConflict(_) => "ResourceConflictException",
            InvalidIdentityPoolConfiguration(_) => "InvalidIdentityPoolConfigurationException",
            ExpiredToken(_) => "ExpiredTokenException",
            InvalidIdentityToken(_) => "InvalidIdentityTokenException",
            Storage(code, _) => code.as_str(),
            Internal(_) => "InternalErrorException",
        }
    }

    /// The message a client may see. Internal details are never part of it.
    pub fn message(&self) -> &str {
        use Error::*;
        match self {
            Internal(_) => "An internal error occurred.",
            NotAuthorized(m)
            | UserNotFound(m)
            | UsernameExists(m)
            | InvalidPassword(m)
            | UserNotConfirmed(m)
            | PasswordResetRequired(m)
            | CodeMismatch(m)
            | ExpiredCode(m)
            | TooManyFailedAttempts(m)
            | ResourceNotFound(m)
            | InvalidParameter(m)
            | TooManyRequests(m)
            | LimitExceeded(m)
            | AliasExists(m)
            | GroupExists(m)
            | UnsupportedOperation(m)
            | UnknownOperation(m)
            | InvalidSignature(m)
            | UnrecognizedClient(m)
            | MissingAuthenticationToken(m)
            | AccessDenied(m)
            | UnsupportedTokenType(m)
            | Serialization(m)
            | NoSuchEntity(m)
            | EntityAlreadyExists(m)
            | DeleteConflict(m)
            | MalformedPolicyDocument(m)
            | ResourceConflict(m)
            | InvalidIdentityPoolConfiguration(m)
            | ExpiredToken(m)
            | InvalidIdentityToken(m)
            | Storage(_, m) => m,
        }
    }

    pub fn is_internal(&self) -> bool {
        matches!(self, Error::Internal(_))
    }

    /// An internal error described by `detail` alone.
    pub fn internal(detail: impl fmt::Display) -> Self {
        Error::Internal(Internal {
            context: detail.to_string(),
            source: None,
        })
    }

    /// An internal error while doing `context`, caused by `source`: for `map_err`.
    pub fn caused_by<E>(context: &'static str) -> impl FnOnce(E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        move |source| {
            Error::Internal(Internal {
                context: context.to_owned(),
                source: Some(Arc::new(source)),
            })
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidParameter(message.into())
    }

    pub fn incorrect_credentials() -> Self {
        Error::NotAuthorized("Incorrect username or password.".into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Internal(detail) => write!(f, "{}: {detail}", self.name()),
            other => write!(f, "{}: {}", other.name(), other.message()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Internal(internal) => internal
                .source()
                .map(|e| e as &(dyn std::error::Error + 'static)),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_error_keeps_its_cause_for_the_log_but_not_for_the_wire() {
        let io = std::io::Error::other("disk on fire");
        let error = Error::caused_by("reading the master key")(io);
        assert_eq!(error.message(), "An internal error occurred.");
        assert_eq!(
            error.to_string(),
            "InternalErrorException: reading the master key: disk on fire"
        );
        let source = std::error::Error::source(&error).expect("the cause is kept");
        assert_eq!(source.to_string(), "disk on fire");
    }

    #[test]
    fn access_denied_is_named_as_aws_names_it() {
        let error = Error::AccessDenied("User: anonymous is not authorized".into());
        assert_eq!(error.name(), "AccessDeniedException");
        assert_eq!(error.message(), "User: anonymous is not authorized");
    }
}
