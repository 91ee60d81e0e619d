#include "ops/connection_gate.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>
#include <openssl/err.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <cstring>
#include <string>
#include <string_view>

namespace pixguard {

struct ConnectionGate::Conn {
  int fd = -1;
  SSL* ssl = nullptr;
  bool handshaken = false;
  bool registered = false;  // in the epoll set
  bool got_bytes = false;   // part of the next request has arrived
  bool lingering = false;   // answered and shut for writing; what still arrives is dropped
  std::string in;           // received and not yet consumed by a request
  int64_t since_us = 0;     // waiting in the gate since (the oldest is evicted first)
  int64_t deadline_us = 0;  // closed when still waiting then
  std::size_t requests_left = 0;

  Conn() = default;
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn() {
    if (ssl != nullptr) SSL_free(ssl);
    if (fd >= 0) ::close(fd);
  }
};

namespace {

constexpr std::size_t kMaxHead = 16 * 1024;  // request line and headers; past it 431
constexpr int64_t kSweepUs = 50'000;         // how often the gate looks for expired deadlines

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

enum class Extent { kIncomplete, kComplete, kHeadTooLarge, kBodyTooLarge, kExpect, kChunked };

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Whether `in` starts with a whole request, and then its size (`*need`): the head up to its
// empty line, and Content-Length bytes of body. A chunked body is refused (411): httplib
// 0.11.4 does not bound its size, and the API's bodies are small JSON with a length.
Extent request_extent(std::string_view in, std::size_t max_body, std::size_t* need) {
  std::size_t head = in.find("\r\n\r\n");
  std::size_t head_end = head == std::string_view::npos ? head : head + 4;
  if (const std::size_t lf = in.find("\n\n"); lf != std::string_view::npos && lf + 2 < head_end) head_end = lf + 2;
  if (head_end == std::string_view::npos) return in.size() > kMaxHead ? Extent::kHeadTooLarge : Extent::kIncomplete;
  if (head_end > kMaxHead) return Extent::kHeadTooLarge;
  uint64_t body = 0;
  std::string_view rest = in.substr(0, head_end);
  rest.remove_prefix(std::min(rest.size(), rest.find('\n') + 1));  // the request line
  while (!rest.empty()) {
    const std::size_t eol = std::min(rest.find('\n'), rest.size());
    const std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(std::min(rest.size(), eol + 1));
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "expect")) return Extent::kExpect;
    if (iequals(name, "transfer-encoding")) return Extent::kChunked;
    if (iequals(name, "content-length")) {
      uint64_t v = 0;
      const auto r = std::from_chars(value.data(), value.data() + value.size(), v);
      if (r.ec == std::errc::result_out_of_range) return Extent::kBodyTooLarge;
      if (r.ec == std::errc{} && r.ptr == value.data() + value.size()) body = v;  // else httplib answers 400
    }
  }
  if (body > max_body) return Extent::kBodyTooLarge;
  *need = head_end + static_cast<std::size_t>(body);
  return in.size() >= *need ? Extent::kComplete : Extent::kIncomplete;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    default: return "Service Unavailable";
  }
}

const char* error_text(int status) {
  switch (status) {
    case 408: return "the request did not arrive within http.read_timeout";
    case 411: return "send the body with a Content-Length (no Transfer-Encoding)";
    case 413: return "request body larger than http.max_body";
    case 417: return "Expect is not supported; send the body with the headers";
    case 431: return "request line and headers larger than 16 KiB";
    default: return "busy (http.max_connections or http.max_queued reached); retry";
  }
}

// A request of the gate's connection to httplib: first what the gate collected, then (a
// chunked body) straight from the socket, each within the request's deadlines.
class ConnStream final : public httplib::Stream {
 public:
  ConnStream(ConnectionGate::Conn& conn, const GateOptions& options, const std::atomic<bool>& stopping)
      : conn_(conn), options_(options), stopping_(stopping), read_deadline_us_(now_us() + options.read_timeout_us) {}

  bool is_readable() const override {
    return consumed_ < conn_.in.size() || (conn_.ssl != nullptr && SSL_pending(conn_.ssl) > 0);
  }
  bool is_writable() const override { return !failed_; }

  ssize_t read(char* ptr, size_t size) override {
    if (consumed_ < conn_.in.size()) {
      const std::size_t n = std::min(size, conn_.in.size() - consumed_);
      std::memcpy(ptr, conn_.in.data() + consumed_, n);
      consumed_ += n;
      return static_cast<ssize_t>(n);
    }
    for (;;) {
      short wanted = POLLIN;
      if (conn_.ssl != nullptr) {
        const int n = SSL_read(conn_.ssl, ptr, static_cast<int>(std::min<size_t>(size, INT_MAX)));
        if (n > 0) return n;
        const int e = SSL_get_error(conn_.ssl, n);
        if (e == SSL_ERROR_ZERO_RETURN) return 0;
        if (e == SSL_ERROR_WANT_WRITE) {
          wanted = POLLOUT;
        } else if (e != SSL_ERROR_WANT_READ) {
          return fail();
        }
      } else {
        const ssize_t n = ::recv(conn_.fd, ptr, size, MSG_DONTWAIT);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return fail();
      }
      if (!wait(wanted, read_deadline_us_)) return fail();
    }
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (failed_) return -1;
    if (status_ == 0 && size >= 12 && std::memcmp(ptr, "HTTP/1.", 7) == 0) {  // the status line
      (void)std::from_chars(ptr + 9, ptr + 12, status_);
    }
    if (write_deadline_us_ == 0) write_deadline_us_ = now_us() + options_.write_timeout_us;
    std::size_t done = 0;
    while (done < size) {
      short wanted = POLLOUT;
      if (conn_.ssl != nullptr) {
        // After a WANT_*, SSL_write must be called again with the same arguments: it is.
        const int n = SSL_write(conn_.ssl, ptr + done, static_cast<int>(std::min<size_t>(size - done, 1 << 20)));
        if (n > 0) {
          done += static_cast<std::size_t>(n);
          continue;
        }
        const int e = SSL_get_error(conn_.ssl, n);
        if (e == SSL_ERROR_WANT_READ) {
          wanted = POLLIN;
        } else if (e != SSL_ERROR_WANT_WRITE) {
          return fail();
        }
      } else {
        const ssize_t n = ::send(conn_.fd, ptr + done, size - done, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) {
          done += static_cast<std::size_t>(n);
          continue;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return fail();
      }
      if (!wait(wanted, write_deadline_us_)) return fail();
    }
    return static_cast<ssize_t>(size);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { address(&getpeername, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address(&getsockname, ip, port); }

  // httplib built without CPPHTTPLIB_USE_POLL answers 500 for a descriptor past FD_SETSIZE
  // (it would select() on it); this stream never selects, so it does not show one.
  socket_t socket() const override { return conn_.fd < FD_SETSIZE ? conn_.fd : INVALID_SOCKET; }

  std::size_t consumed() const { return consumed_; }
  int status() const { return status_; }  // of the answer written, 0 before
  bool failed() const { return failed_; }

 private:
  ssize_t fail() {
    failed_ = true;
    return -1;
  }

  // Until the socket is ready for `events`; false past `deadline_us` or when stopping.
  bool wait(short events, int64_t deadline_us) const {
    for (;;) {
      if (stopping_.load(std::memory_order_relaxed)) return false;
      const int64_t left = deadline_us - now_us();
      if (left <= 0) return false;
      pollfd p{conn_.fd, events, 0};
      const int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left / 1000 + 1, 100)));
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) return false;
    }
  }

  void address(int (*get)(int, sockaddr*, socklen_t*), std::string& ip, int& port) const {
    sockaddr_storage a{};
    socklen_t len = sizeof(a);
    ip.clear();
    port = 0;
    if (get(conn_.fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return;
    char text[INET6_ADDRSTRLEN] = {};
    if (a.ss_family == AF_INET) {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
      if (inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text)) != nullptr) ip = text;
      port = ntohs(v4->sin_port);
    } else if (a.ss_family == AF_INET6) {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
      if (inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text)) != nullptr) ip = text;
      port = ntohs(v6->sin6_port);
    }
  }

  ConnectionGate::Conn& conn_;
  const GateOptions& options_;
  const std::atomic<bool>& stopping_;
  const int64_t read_deadline_us_;
  int64_t write_deadline_us_ = 0;
  std::size_t consumed_ = 0;
  bool failed_ = false;
  int status_ = 0;
};

}  // namespace

ConnectionGate::ConnectionGate(const GateOptions& options, Process process)
    : options_(options), process_(std::move(process)) {}

ConnectionGate::~ConnectionGate() { stop(); }

Status ConnectionGate::start() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) return Status::IoError(std::string("http: epoll: ") + std::strerror(errno));
  epoll_event e{};
  e.events = EPOLLIN;
  e.data.fd = wake_fd_;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &e) != 0) {
    return Status::IoError(std::string("http: epoll: ") + std::strerror(errno));
  }
  read_buffer_.resize(16 * 1024);
  gate_thread_ = std::thread([this] { gate_loop(); });
  for (std::size_t i = 0; i < std::max<std::size_t>(options_.threads, 1); ++i) {
    workers_.emplace_back([this] { worker_loop(); });
  }
  return Status::Ok();
}

void ConnectionGate::admit(int fd) {
  {
    std::lock_guard<std::mutex> lock(incoming_mutex_);
    if (stopping_.load()) {
      ::close(fd);
      return;
    }
    open_.fetch_add(1);
    incoming_fds_.push_back(fd);
  }
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
}

void ConnectionGate::stop() {
  {
    std::lock_guard<std::mutex> lock(incoming_mutex_);
    if (stopping_.exchange(true)) return;
  }
  if (wake_fd_ >= 0) {
    const uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof(one));
  }
  {
    std::lock_guard<std::mutex> lock(ready_mutex_);  // no worker misses the notification
  }
  ready_cv_.notify_all();
  if (gate_thread_.joinable()) gate_thread_.join();
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
  waiting_.clear();
  ready_.clear();
  incoming_conns_.clear();
  for (const int fd : incoming_fds_) ::close(fd);
  incoming_fds_.clear();
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  epoll_fd_ = wake_fd_ = -1;
}

void ConnectionGate::gate_loop() {
  std::vector<epoll_event> events(256);
  int64_t next_sweep_us = 0;
  while (!stopping_.load()) {
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 50);
    const int64_t now = now_us();
    for (int i = 0; i < n; ++i) {
      const int fd = events[static_cast<std::size_t>(i)].data.fd;
      if (fd == wake_fd_) {
        uint64_t count = 0;
        (void)!::read(wake_fd_, &count, sizeof(count));
        take_incoming(now);
        continue;
      }
      const auto it = waiting_.find(fd);
      if (it == waiting_.end()) continue;
      std::unique_ptr<Conn> conn = std::move(it->second);
      waiting_.erase(it);
      on_event(std::move(conn), now);
    }
    if (now >= next_sweep_us) {
      expire(now);
      next_sweep_us = now + kSweepUs;
    }
  }
}

void ConnectionGate::take_incoming(int64_t now_us) {
  std::vector<int> fds;
  std::vector<std::unique_ptr<Conn>> back;
  {
    std::lock_guard<std::mutex> lock(incoming_mutex_);
    fds.swap(incoming_fds_);
    back.swap(incoming_conns_);
  }
  for (std::unique_ptr<Conn>& conn : back) on_event(std::move(conn), now_us);
  for (const int fd : fds) {
    auto conn = std::make_unique<Conn>();
    conn->fd = fd;
    conn->since_us = now_us;
    conn->deadline_us = now_us + options_.read_timeout_us;
    conn->requests_left = std::max<std::size_t>(options_.keep_alive_requests, 1);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    if (options_.tls != nullptr) {
      conn->ssl = SSL_new(options_.tls);
      if (conn->ssl == nullptr || SSL_set_fd(conn->ssl, fd) != 1) {
        close_conn(std::move(conn), 0);
        continue;
      }
      SSL_set_accept_state(conn->ssl);
    }
    // Over the limit: the connection that has waited longest for its request makes room.
    while (open_.load() > options_.max_connections) {
      auto oldest = waiting_.end();
      for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
        if (oldest == waiting_.end() || it->second->since_us < oldest->second->since_us) oldest = it;
      }
      if (oldest == waiting_.end()) break;
      std::unique_ptr<Conn> evicted = std::move(oldest->second);
      waiting_.erase(oldest);
      counters_.evicted.fetch_add(1);
      close_conn(std::move(evicted), 503);
    }
    if (open_.load() > options_.max_connections) {  // all of them at work: this one waits its turn
      counters_.evicted.fetch_add(1);
      close_conn(std::move(conn), 503);
      continue;
    }
    on_event(std::move(conn), now_us);
  }
}

void ConnectionGate::watch(std::unique_ptr<Conn> conn, int64_t now_us) {
  (void)now_us;
  if (!conn->registered) {
    epoll_event e{};
    e.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    e.data.fd = conn->fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, conn->fd, &e) != 0) {
      close_conn(std::move(conn), 0);
      return;
    }
    conn->registered = true;
  }
  const int fd = conn->fd;
  waiting_[fd] = std::move(conn);
}

void ConnectionGate::on_event(std::unique_ptr<Conn> conn, int64_t now_us) {
  if (conn->lingering) {  // until the client has seen the answer and closed its side
    for (;;) {
      const ssize_t n = ::recv(conn->fd, read_buffer_.data(), read_buffer_.size(), MSG_DONTWAIT);
      if (n > 0) continue;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return watch(std::move(conn), now_us);
      return close_conn(std::move(conn), 0);
    }
  }
  if (conn->ssl != nullptr && !conn->handshaken) {
    ERR_clear_error();
    const int r = SSL_do_handshake(conn->ssl);
    if (r != 1) {
      const int e = SSL_get_error(conn->ssl, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return watch(std::move(conn), now_us);
      return close_conn(std::move(conn), 0);  // not TLS, or a handshake that failed
    }
    conn->handshaken = true;
  }
  // Everything that has arrived, up to the most a request may be.
  const std::size_t cap = kMaxHead + options_.max_body + 4096;
  bool eof = false;
  while (conn->in.size() < cap) {
    const std::size_t want = std::min(read_buffer_.size(), cap - conn->in.size());
    if (conn->ssl != nullptr) {
      ERR_clear_error();
      const int n = SSL_read(conn->ssl, read_buffer_.data(), static_cast<int>(want));
      if (n <= 0) {
        const int e = SSL_get_error(conn->ssl, n);
        eof = e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
        break;
      }
      conn->in.append(read_buffer_.data(), static_cast<std::size_t>(n));
    } else {
      const ssize_t n = ::recv(conn->fd, read_buffer_.data(), want, MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
        break;
      }
      conn->in.append(read_buffer_.data(), static_cast<std::size_t>(n));
    }
  }
  if (!conn->in.empty() && !conn->got_bytes) {
    conn->got_bytes = true;
    conn->deadline_us = std::min(conn->deadline_us, now_us + options_.read_timeout_us);
  }
  std::size_t need = 0;
  switch (request_extent(conn->in, options_.max_body, &need)) {
    case Extent::kIncomplete:
      if (eof) return close_conn(std::move(conn), 0);
      return watch(std::move(conn), now_us);
    case Extent::kHeadTooLarge:
      counters_.too_large.fetch_add(1);
      return close_conn(std::move(conn), 431);
    case Extent::kBodyTooLarge:
      counters_.too_large.fetch_add(1);
      return close_conn(std::move(conn), 413);
    case Extent::kExpect:
      return close_conn(std::move(conn), 417);
    case Extent::kChunked:
      return close_conn(std::move(conn), 411);
    case Extent::kComplete:
      break;
  }
  if (conn->registered) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, conn->fd, nullptr);
    conn->registered = false;
  }
  {
    std::lock_guard<std::mutex> lock(ready_mutex_);
    if (ready_.size() < options_.max_queued) {
      ready_.push_back(std::move(conn));
    }
  }
  if (conn != nullptr) {
    counters_.queue_full.fetch_add(1);
    return close_conn(std::move(conn), 503);
  }
  ready_cv_.notify_one();
}

void ConnectionGate::expire(int64_t now_us) {
  std::vector<int> late;
  for (const auto& [fd, conn] : waiting_) {
    if (conn->deadline_us <= now_us) late.push_back(fd);
  }
  for (const int fd : late) {
    const auto it = waiting_.find(fd);
    std::unique_ptr<Conn> conn = std::move(it->second);
    waiting_.erase(it);
    if (!conn->lingering) counters_.timed_out.fetch_add(1);
    const int status = conn->got_bytes && !conn->lingering ? 408 : 0;  // an idle one just closes
    close_conn(std::move(conn), status);
  }
}

// Answers `status` (0: nothing) as far as the socket takes it without waiting, and closes.
// With an answer (gate thread only), the connection is shut for writing and lingers in the gate
// for up to a second, dropping what the client still sends: closing with unread input would
// reset the connection, and the client might never read the answer.
void ConnectionGate::close_conn(std::unique_ptr<Conn> conn, int status) {
  const bool answer_it = status != 0 && !conn->lingering && (conn->ssl == nullptr || conn->handshaken);
  if (conn->registered && !answer_it) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, conn->fd, nullptr);
    conn->registered = false;
  }
  if (answer_it) {
    const std::string body = std::string("{\"error\":\"") + error_text(status) + "\"}";
    std::string answer = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) +
                         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                         "\r\nConnection: close\r\n" + (status == 503 ? "Retry-After: 1\r\n" : "") + "\r\n" + body;
    if (conn->ssl != nullptr) {
      ERR_clear_error();
      (void)SSL_write(conn->ssl, answer.data(), static_cast<int>(answer.size()));
    } else {
      (void)::send(conn->fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
  }
  if (conn->ssl != nullptr && conn->handshaken && !conn->lingering) {
    ERR_clear_error();
    (void)SSL_shutdown(conn->ssl);
  }
  if (answer_it) {
    ::shutdown(conn->fd, SHUT_WR);
    conn->lingering = true;
    conn->since_us = 0;  // the first to make room
    conn->deadline_us = now_us() + 1'000'000;
    const int64_t now = now_us();
    return on_event(std::move(conn), now);
  }
  conn.reset();
  open_.fetch_sub(1);
}

void ConnectionGate::worker_loop() {
  for (;;) {
    std::unique_ptr<Conn> conn;
    {
      std::unique_lock<std::mutex> lock(ready_mutex_);
      ready_cv_.wait(lock, [this] { return stopping_.load() || !ready_.empty(); });
      if (stopping_.load()) return;
      conn = std::move(ready_.front());
      ready_.pop_front();
    }
    serve(std::move(conn));
  }
}

void ConnectionGate::serve(std::unique_ptr<Conn> conn) {
  ConnStream stream(*conn, options_, stopping_);
  const bool last = conn->requests_left <= 1 || stopping_.load();
  bool closed = false;
  const bool ok = process_(stream, last, closed);
  counters_.served.fetch_add(1);
  conn->requests_left -= 1;
  conn->in.erase(0, stream.consumed());
  // A request httplib could not parse (400, 414) leaves the connection's framing unknown.
  const bool malformed = stream.status() == 400 || stream.status() == 414;
  if (!ok || closed || last || malformed || stream.failed()) return close_conn(std::move(conn), 0);
  // Kept alive: back to the gate, to wait for the next request there.
  const int64_t now = now_us();
  conn->since_us = now;
  conn->deadline_us = now + options_.keep_alive_timeout_us;
  conn->got_bytes = false;
  {
    std::lock_guard<std::mutex> lock(incoming_mutex_);
    if (!stopping_.load()) {
      incoming_conns_.push_back(std::move(conn));
    }
  }
  if (conn != nullptr) return close_conn(std::move(conn), 0);
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
}

}  // namespace pixguard
