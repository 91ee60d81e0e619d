#pragma once
// A TCP relay from a fixed loopback port to one broker, so that a development cluster can
// have a bootstrap address known in advance (127.0.0.1:9092 in configs and scripts).
//
// Why: librdkafka's mock brokers listen on ports the kernel picks; librdkafka 2.0.2 has no
// option for the port. A Kafka client only needs the bootstrap address to ask for metadata,
// which names every broker by its real (advertised) address; from then on it connects to
// the brokers directly. The relay forwards whole connections byte for byte, so whatever a
// client sends over its bootstrap connection reaches the broker as if sent directly.
//
// Threading: one thread of its own relays every connection (poll, non-blocking sockets);
// the destructor stops it and closes every connection.
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "core/status.h"

namespace pixguard {

class BootstrapRelay {
 public:
  // Listens on 127.0.0.1:`port` (0: a port the kernel picks) and relays each connection to
  // `target` ("127.0.0.1:PORT"). Fails if the port is taken.
  static Status start(uint16_t port, const std::string& target, std::unique_ptr<BootstrapRelay>* out);
  ~BootstrapRelay();
  BootstrapRelay(const BootstrapRelay&) = delete;
  BootstrapRelay& operator=(const BootstrapRelay&) = delete;

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  BootstrapRelay() = default;
  void run();

  int listen_fd_ = -1;
  int wake_fd_ = -1;  // an eventfd: written by the destructor to stop run()
  uint16_t port_ = 0;
  uint32_t target_ip_ = 0;  // network byte order
  uint16_t target_port_ = 0;
  std::thread thread_;
};

}  // namespace pixguard
