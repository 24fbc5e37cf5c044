//===- Error.h - Error and Expected for the attnc runtime ------*- C++ -*-===//
//
// A tiny, dependency-free error type used by the runtime (which must not link
// LLVM). An `Error` is either success (empty) or carries a message; an
// `Expected<T>` holds either a T or an Error.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_RUNTIME_GGUF_ERROR_H
#define ATTNC_RUNTIME_GGUF_ERROR_H

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace attnc::gguf {

/// Success (default-constructed) or failure with a message.
class [[nodiscard]] Error {
public:
  Error() = default;
  static Error success() { return Error(); }
  static Error failure(std::string message) {
    Error e;
    e.failed_ = true;
    e.message_ = std::move(message);
    return e;
  }
  /// True when this is a failure.
  explicit operator bool() const { return failed_; }
  bool isFailure() const { return failed_; }
  const std::string &message() const { return message_; }

private:
  bool failed_ = false;
  std::string message_;
};

/// printf-style formatting into an Error.
Error makeError(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/// printf-style formatting into a std::string.
std::string formatString(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/// Either a value or an Error.
template <typename T> class [[nodiscard]] Expected {
public:
  Expected(T value) : storage_(std::move(value)) {}
  Expected(Error error) : storage_(std::move(error)) {
    assert(std::get<Error>(storage_).isFailure() &&
           "Expected constructed from a success Error");
  }

  bool ok() const { return storage_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T &operator*() & { return std::get<0>(storage_); }
  const T &operator*() const & { return std::get<0>(storage_); }
  T *operator->() { return &std::get<0>(storage_); }
  const T *operator->() const { return &std::get<0>(storage_); }
  T &value() & { return std::get<0>(storage_); }
  const T &value() const & { return std::get<0>(storage_); }
  /// Moves the value out.
  T take() { return std::move(std::get<0>(storage_)); }

  const Error &error() const { return std::get<1>(storage_); }
  /// The error message, or "" on success.
  std::string message() const { return ok() ? std::string() : error().message(); }

private:
  std::variant<T, Error> storage_;
};

} // namespace attnc::gguf

#endif // ATTNC_RUNTIME_GGUF_ERROR_H
