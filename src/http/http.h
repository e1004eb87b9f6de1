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
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace tandem::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

// `co_await op(as_tuple_awaitable)` yields (error_code, …) instead of throwing.
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

}  // namespace tandem::http
