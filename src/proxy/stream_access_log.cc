// The access-log record of a finished stream.

#include <gantry/config.h>
#include <gantry/proxy/downstream.h>
#include <gantry/proxy/stream.h>
#include <gantry/tls/connection_info.h>

namespace gantry::proxy {

void Stream::write_access_log(std::chrono::nanoseconds request_time) {
    observability::AccessLogBuffer* buffer = connection_->worker().access_log();
    const observability::AccessLogFormat* format =
        generation_ ? generation_->generation->access_log_format() : nullptr;
    if (buffer == nullptr || format == nullptr) {
        return;
    }
    observability::AccessLogRecord record;
    record.remote_addr = connection_->remote_ip();
    record.remote_port = connection_->remote_port();
    record.start_time = start_wall_;
    if (request_ != nullptr) {
        record.method = request_->method;
        record.target = request_->target;
        record.path = request_->path;
        record.query = request_->query;
        record.version_major = request_->version_major;
        record.version_minor = request_->version_minor;
        record.host = request_->authority;
        record.request_headers = &request_->headers;
    }
    // A client that left before the response gets nginx's 499.
    record.status = response_status_ != 0 ? response_status_ : error_.to_status();
    record.body_bytes_sent = body_bytes_sent_;
    record.request_length = request_length_;
    record.request_time = request_time;
    record.upstream_addr = upstream_address_;
    record.upstream_status = upstream_status_;
    record.upstream_attempts = upstream_attempts_;
    record.upstream_response_time = upstream_time_;
    record.request_id = request_id_;
    record.error = error_.name();
    if (const tls::ConnectionInfo* tls = connection_->tls_info()) {
        record.ssl_protocol = tls->protocol;
        record.ssl_cipher = tls->cipher;
        record.ssl_server_name = tls->server_name;
        record.ssl_client_s_dn = tls->client_subject;
    }
    record.listener = connection_->listener_name();
    record.route_cluster = upstream_cluster_;
    if (route_ != nullptr && record.route_cluster.empty()) {
        if (const auto* forward = std::get_if<config::ForwardAction>(&route_->action)) {
            record.route_cluster = forward->cluster;
        }
    }
    format->format(record, buffer->buffer());
    buffer->maybe_flush();
}

}  // namespace gantry::proxy
