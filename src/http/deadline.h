#pragma once
// Timeouts without a timer per socket operation: every connection's current deadline is a
// time point in its worker's Reaper, and one timer per worker sweeps them every few tens of
// milliseconds, cancelling the operations of a socket whose deadline passed. Arming a deadline
// is a clock read and a store, where a timer per operation (beast::tcp_stream) costs a heap
// insertion, a cancellation and often a timerfd_settime system call.

#include <chrono>

#include "http/http.h"

namespace tandem::http {

class Deadline;

// One per worker thread; everything here runs on that worker's io_context.
class Reaper {
 public:
  using Clock = std::chrono::steady_clock;
  // `tick`: how often deadlines are checked; a timeout fires at most about one tick late.
  explicit Reaper(asio::io_context& io,
                  std::chrono::milliseconds tick = std::chrono::milliseconds(25));
  ~Reaper();
  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;

  // Starts the sweep (on the io_context's thread, before it runs).
  void start();

 private:
  friend class Deadline;
  Task<void> sweep();

  asio::io_context& io_;
  std::chrono::milliseconds tick_;
  Deadline* first_ = nullptr;  // an intrusive list of the deadlines of this worker
  bool started_ = false;
  std::shared_ptr<bool> alive_;
};

// The deadline of one socket's current operation. While armed and past, every sweep cancels
// the socket's pending operations (they complete with operation_aborted) and `expired()`
// is true until the next arm() or disarm().
class Deadline {
 public:
  Deadline(Reaper& reaper, Socket& socket);
  ~Deadline();
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  void arm(std::chrono::milliseconds timeout) {
    at_ = Reaper::Clock::now() + timeout;
    expired_ = false;
  }
  void disarm() { at_ = Reaper::Clock::time_point::max(); }  // keeps expired() as it is
  bool expired() const { return expired_; }

 private:
  friend class Reaper;
  Reaper& reaper_;
  Socket& socket_;
  Reaper::Clock::time_point at_ = Reaper::Clock::time_point::max();
  bool expired_ = false;
  Deadline* prev_ = nullptr;
  Deadline* next_ = nullptr;
};

}  // namespace tandem::http
