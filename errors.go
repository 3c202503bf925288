// Package deconflict holds the domain of the deconflict system: parties,
// channels, signed envelopes, position reports and the error codes every
// layer reports to users. It imports nothing outside the standard library.
package deconflict

import (
	"errors"
	"fmt"
)

// Error codes seen by users. The HTTP layer maps each to one status.
const (
	ECONFLICT     = "conflict"     // the request conflicts with stored state
	EINTERNAL     = "internal"     // a fault of the node, logged with detail
	EINVALID      = "invalid"      // the input is malformed or breaks a rule
	ENOTFOUND     = "not_found"    // no such thing (or not visible to the caller)
	EUNAUTHORIZED = "unauthorized" // the caller is not authenticated
	EFORBIDDEN    = "forbidden"    // the caller may not do this
	ETOOLARGE     = "too_large"    // the request body is over the limit
	EUNAVAILABLE  = "unavailable"  // the node refuses service (e.g. a tampered channel)
	ETOOMANY      = "too_many"     // too many attempts (console sign-in); try again later
)

// Error is an error with a code and a message meant for the user. Errors
// of any other type are reported as EINTERNAL with a generic message.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: the message of the
// first *Error in its chain, or "internal error" for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
