#pragma once
// The operations endpoint's connections, kept away from its worker threads until a whole
// request has arrived.
//
// cpp-httplib gives each connection a worker thread for its whole life: a handful of idle or
// byte-dripping sockets (a slowloris) then hold every worker and /health stops answering.
// Here httplib's accept thread hands each socket to the gate instead (ConnectionGate::admit),
// and one gate thread, on epoll, reads what arrives (TLS handshake included) into the
// connection's buffer, without blocking and without a thread per connection. Only once the
// request line, the headers and the body (Content-Length) are all in is the connection
// queued for a worker, which runs it through httplib (reading from that buffer) and then
// hands it back to the gate to wait for the next request (keep-alive).
//
// The limits: the first byte of the connection and then the whole request must arrive within
// `read_timeout` (then 408 and close); an idle kept-alive connection closes after
// `keep_alive_timeout`, and any after `keep_alive_requests` requests; an answer the client
// does not take within `write_timeout` closes it. Past `max_connections` open at once, the
// connection that has waited longest for its request is answered 503 (Retry-After) and
// closed to make room, so that new requests (a health check) always get in. Past `max_queued`
// complete requests waiting for a worker, 503 too. A head of more than 16 KiB gets 431, a body
// over `max_body` 413, a chunked body 411 (a length is required), "Expect: 100-continue" 417.
// So a worker never waits for a client to send; it waits at most `write_timeout` for one to
// take an answer.
//
// Threads: httplib's accept thread (admit: a queue push), the gate thread, `threads` workers.
#include <openssl/ssl.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace httplib {
class Stream;
}

namespace pixguard {

struct GateOptions {
  int64_t read_timeout_us = 5'000'000;
  int64_t write_timeout_us = 5'000'000;
  int64_t keep_alive_timeout_us = 5'000'000;
  std::size_t keep_alive_requests = 100;
  std::size_t max_connections = 512;
  std::size_t threads = 4;
  std::size_t max_queued = 64;
  std::size_t max_body = 64 * 1024;
  SSL_CTX* tls = nullptr;  // non-null: TLS on every connection (owned by the caller)
};

// What the gate has done, for tests and logs.
struct GateCounters {
  std::atomic<uint64_t> served{0};       // requests run by a worker
  std::atomic<uint64_t> evicted{0};      // 503: closed to make room (max_connections)
  std::atomic<uint64_t> queue_full{0};   // 503: max_queued requests already waiting
  std::atomic<uint64_t> timed_out{0};    // closed by read_timeout or keep_alive_timeout
  std::atomic<uint64_t> too_large{0};    // 413 or 431
};

class ConnectionGate {
 public:
  // Runs one request of `stream` through the HTTP server (httplib's process_request).
  using Process = std::function<bool(httplib::Stream& stream, bool close_connection, bool& connection_closed)>;

  ConnectionGate(const GateOptions& options, Process process);
  ~ConnectionGate();  // stop()
  ConnectionGate(const ConnectionGate&) = delete;
  ConnectionGate& operator=(const ConnectionGate&) = delete;

  Status start();
  // Takes a just-accepted socket (owns it from now on); never blocks.
  void admit(int fd);
  // Closes every connection and joins the threads; requests in progress end within 100 ms.
  void stop();

  const GateCounters& counters() const { return counters_; }

  struct Conn;

 private:
  void gate_loop();
  void worker_loop();
  void take_incoming(int64_t now_us);
  void watch(std::unique_ptr<Conn> conn, int64_t now_us);
  // Reads what has arrived; dispatches, answers or closes the connection when it can.
  void on_event(std::unique_ptr<Conn> conn, int64_t now_us);
  void expire(int64_t now_us);
  void close_conn(std::unique_ptr<Conn> conn, int status);
  void evict_oldest_waiting();
  void serve(std::unique_ptr<Conn> conn);

  const GateOptions options_;
  const Process process_;
  GateCounters counters_;

  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: incoming work for the gate thread
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> open_{0};  // connections owned, wherever they are
  std::thread gate_thread_;
  std::vector<std::thread> workers_;

  std::mutex incoming_mutex_;
  std::vector<int> incoming_fds_;                      // admitted, not yet seen by the gate
  std::vector<std::unique_ptr<Conn>> incoming_conns_;  // back from a worker (keep-alive)

  std::unordered_map<int, std::unique_ptr<Conn>> waiting_;  // gate thread only
  std::vector<char> read_buffer_;                           // gate thread only

  std::mutex ready_mutex_;
  std::condition_variable ready_cv_;
  std::deque<std::unique_ptr<Conn>> ready_;  // complete requests for the workers
};

}  // namespace pixguard
