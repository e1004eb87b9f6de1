// Timeouts swept by one timer per worker (http/deadline.h).

#include "http/deadline.h"

namespace tandem::http {

Reaper::Reaper(asio::io_context& io, std::chrono::milliseconds tick)
    : io_(io), tick_(tick), alive_(std::make_shared<bool>(true)) {}

Reaper::~Reaper() { *alive_ = false; }

void Reaper::start() {
  if (started_) return;
  started_ = true;
  asio::co_spawn(io_, sweep(), asio::detached);
}

Task<void> Reaper::sweep() {
  // The loop may outlive the reaper when the io_context is destroyed later: `alive` says.
  std::shared_ptr<bool> alive = alive_;
  Timer timer(io_);
  for (;;) {
    timer.expires_after(tick_);
    auto [ec] = co_await timer.async_wait(use_tuple);
    if (ec || !*alive) co_return;
    auto now = Clock::now();
    for (Deadline* d = first_; d; d = d->next_) {
      if (d->at_ > now) continue;
      // Stays armed and past: when nothing was pending to cancel (the operation's completion
      // already queued, and a composed read about to start the next one), the next sweep
      // cancels that one. Only arm() and disarm() end it.
      d->expired_ = true;
      beast::error_code ignored;
      d->socket_.cancel(ignored);
    }
  }
}

Deadline::Deadline(Reaper& reaper, Socket& socket) : reaper_(reaper), socket_(socket) {
  next_ = reaper_.first_;
  if (next_) next_->prev_ = this;
  reaper_.first_ = this;
}

Deadline::~Deadline() {
  if (prev_) {
    prev_->next_ = next_;
  } else {
    reaper_.first_ = next_;
  }
  if (next_) next_->prev_ = prev_;
}

}  // namespace tandem::http
