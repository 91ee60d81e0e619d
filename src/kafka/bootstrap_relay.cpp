#include "kafka/bootstrap_relay.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include "core/log.h"

namespace pixguard {
namespace {

// Bytes read from one socket and not yet written to the other.
struct Direction {
  int from = -1;
  int to = -1;
  std::string pending;
  std::size_t written = 0;
  bool eof = false;  // `from` has no more to say; `to` gets a FIN once `pending` is out

  bool wants_read() const { return pending.empty() && !eof; }
  bool wants_write() const { return !pending.empty(); }
};

struct Connection {
  int client = -1;
  int broker = -1;
  Direction up;    // client -> broker
  Direction down;  // broker -> client
  bool failed = false;

  bool finished() const { return failed || (up.eof && down.eof && up.pending.empty() && down.pending.empty()); }
};

bool would_block() { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR; }

// Writes what it can of d.pending; false if the connection is broken.
bool flush(Direction& d) {
  while (d.written < d.pending.size()) {
    // MSG_NOSIGNAL: a peer that went away is an error here, not a SIGPIPE for the process.
    const ssize_t n = ::send(d.to, d.pending.data() + d.written, d.pending.size() - d.written, MSG_NOSIGNAL);
    if (n < 0) return would_block();
    d.written += static_cast<std::size_t>(n);
  }
  d.pending.clear();
  d.written = 0;
  if (d.eof) ::shutdown(d.to, SHUT_WR);
  return true;
}

// Reads what is there into d.pending and passes it on; false if the connection is broken.
bool pump(Direction& d) {
  char buffer[64 * 1024];
  const ssize_t n = ::read(d.from, buffer, sizeof buffer);
  if (n < 0) return would_block();
  if (n == 0) {
    d.eof = true;
    ::shutdown(d.to, SHUT_WR);
    return true;
  }
  d.pending.assign(buffer, static_cast<std::size_t>(n));
  return flush(d);
}

Status sys_error(const std::string& what) {
  return Status::IoError("bootstrap relay: " + what + ": " + std::strerror(errno));
}

}  // namespace

Status BootstrapRelay::start(uint16_t port, const std::string& target, std::unique_ptr<BootstrapRelay>* out) {
  std::unique_ptr<BootstrapRelay> r(new BootstrapRelay());
  const std::size_t colon = target.rfind(':');
  in_addr ip{};
  unsigned target_port = 0;
  if (colon == std::string::npos || inet_pton(AF_INET, target.substr(0, colon).c_str(), &ip) != 1 ||
      std::from_chars(target.data() + colon + 1, target.data() + target.size(), target_port).ec != std::errc{} ||
      target_port == 0 || target_port > 65535) {
    return Status::InvalidArgument("bootstrap relay: target '" + target + "' is not IPv4-address:port");
  }
  r->target_ip_ = ip.s_addr;
  r->target_port_ = static_cast<uint16_t>(target_port);

  r->listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (r->listen_fd_ < 0) return sys_error("socket");
  const int on = 1;
  // A restarted cluster can take its port back while old connections sit in TIME_WAIT.
  ::setsockopt(r->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::bind(r->listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return sys_error("127.0.0.1:" + std::to_string(port));
  }
  if (::listen(r->listen_fd_, 64) != 0) return sys_error("listen");
  socklen_t len = sizeof addr;
  if (::getsockname(r->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return sys_error("getsockname");
  r->port_ = ntohs(addr.sin_port);
  r->wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (r->wake_fd_ < 0) return sys_error("eventfd");
  r->thread_ = std::thread([p = r.get()] { p->run(); });
  *out = std::move(r);
  return Status::Ok();
}

BootstrapRelay::~BootstrapRelay() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
    thread_.join();
  }
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void BootstrapRelay::run() {
  std::vector<std::unique_ptr<Connection>> connections;
  std::vector<pollfd> fds;
  while (true) {
    fds.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const auto& c : connections) {
      const auto events = [](const Direction& reading, const Direction& writing) {
        return static_cast<short>((reading.wants_read() ? POLLIN : 0) | (writing.wants_write() ? POLLOUT : 0));
      };
      const short client_events = events(c->up, c->down);
      const short broker_events = events(c->down, c->up);
      // A socket we wait nothing from is left out: its hang-up would wake poll() in a loop.
      fds.push_back({client_events != 0 ? c->client : -1, client_events, 0});
      fds.push_back({broker_events != 0 ? c->broker : -1, broker_events, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      log(LogLevel::kError, std::string("bootstrap relay stopped: poll: ") + std::strerror(errno));
      break;
    }
    if (fds[0].revents != 0) break;  // the destructor asks to stop

    for (std::size_t i = 0; i < connections.size(); ++i) {
      Connection& c = *connections[i];
      const short client = fds[2 + 2 * i].revents, broker = fds[3 + 2 * i].revents;
      const short readable = POLLIN | POLLHUP | POLLERR;
      if ((client & readable) != 0 && c.up.wants_read()) c.failed |= !pump(c.up);
      if ((broker & readable) != 0 && c.down.wants_read()) c.failed |= !pump(c.down);
      if ((broker & (POLLOUT | POLLERR | POLLHUP)) != 0 && c.up.wants_write()) c.failed |= !flush(c.up);
      if ((client & (POLLOUT | POLLERR | POLLHUP)) != 0 && c.down.wants_write()) c.failed |= !flush(c.down);
    }
    std::erase_if(connections, [](const std::unique_ptr<Connection>& c) {
      if (!c->finished()) return false;
      ::close(c->client);
      ::close(c->broker);
      return true;
    });

    if ((fds[1].revents & POLLIN) == 0) continue;
    while (true) {
      const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (client < 0) break;  // EAGAIN: no more waiting; anything else: the client retries
      // Loopback: connect() completes at once, so it is made before going non-blocking.
      const int broker = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_addr.s_addr = target_ip_;
      to.sin_port = htons(target_port_);
      if (broker < 0 || ::connect(broker, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0 ||
          ::fcntl(broker, F_SETFL, O_NONBLOCK) != 0) {
        log(LogLevel::kWarn, std::string("bootstrap relay: cannot reach the broker: ") + std::strerror(errno));
        if (broker >= 0) ::close(broker);
        ::close(client);
        continue;
      }
      auto c = std::make_unique<Connection>();
      c->client = client;
      c->broker = broker;
      c->up.from = c->down.to = client;
      c->up.to = c->down.from = broker;
      connections.push_back(std::move(c));
    }
  }
  for (const auto& c : connections) {
    ::close(c->client);
    ::close(c->broker);
  }
}

}  // namespace pixguard
