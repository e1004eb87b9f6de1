#pragma once
// The one HTTP layer the network-facing parts share (the gateway today; `tandem serve` next):
// Boost.Beast's parser and serializer over Boost.Asio, C++20 coroutines. HTTP parsing is
// never hand-written here — request smuggling lives in hand-written parsers.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace tandem::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

// Beast's string_body, except that its reader does not reserve a message's whole
// Content-Length before a byte of the body arrived: 400 connections announcing 10 MiB each
// would otherwise claim 4 GB at once (a hostile trial's finding). The body grows as it comes.
struct Body : bhttp::string_body {
  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(bhttp::header<isRequest, Fields>&, value_type& body) : body_(body) {}
    void init(const boost::optional<std::uint64_t>& length, beast::error_code& ec) {
      ec = {};
      if (length && *length > body_.max_size()) {
        ec = bhttp::error::buffer_overflow;
        return;
      }
      if (length) body_.reserve(static_cast<size_t>(std::min<std::uint64_t>(*length, kReserve)));
    }
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      ec = {};
      for (auto b : beast::buffers_range_ref(buffers))
        body_.append(static_cast<const char*>(b.data()), b.size());
      return beast::buffer_bytes(buffers);
    }
    void finish(beast::error_code& ec) { ec = {}; }

   private:
    static constexpr std::uint64_t kReserve = 64 * 1024;
    value_type& body_;
  };
};

using Request = bhttp::request<Body>;
using Response = bhttp::response<Body>;

// Everything runs on one worker's io_context: its concrete executor type, not the
// type-erased any_io_executor (a virtual call and a copy on every operation).
using Executor = asio::io_context::executor_type;
template <typename T>
using Task = asio::awaitable<T, Executor>;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using Acceptor = asio::basic_socket_acceptor<tcp, Executor>;
using Timer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                         asio::wait_traits<std::chrono::steady_clock>, Executor>;
using Resolver = asio::ip::basic_resolver<tcp, Executor>;

// `co_await op(use_tuple)` yields (error_code, …) instead of throwing.
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable_t<Executor>{});

}  // namespace tandem::http
