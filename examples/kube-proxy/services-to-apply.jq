# SPDX-License-Identifier: GPL-2.0
#
# Kubernetes Services and EndpointSlices -> "ipvsctl apply" JSON: what
# kube-proxy's IPVS mode programs for ClusterIPs, externalIPs and
# LoadBalancer ingress IPs.
#
#   kubectl get services,endpointslices -A -o json |
#     jq -f services-to-apply.jq --arg scope 10.96.0.0/12,fd00:10:96::/112 \
#        [--arg scheduler maglev] |
#     ipvsctl apply
#
# One IPVS service per (address, port) of each Service with a cluster IP
# (headless Services have none and are skipped). Its backends are the
# ready endpoints of the Service's EndpointSlices of the same address
# family, on the slice port with the same name as the Service port.
# Endpoints that are not ready (terminating pods) are left out, so apply
# drains them. sessionAffinity ClientIP becomes persistence with the
# Service's timeout. Not covered: NodePorts, which kube-proxy also serves
# on every node address, and the iptables/ipset rules kube-proxy adds
# around IPVS (masquerade, NodePort filtering): see README.md.

def bracket: if test(":") then "[" + . + "]" else . end;
def family: if test(":") then "IPv6" else "IPv4" end;

($ARGS.named.scheduler // "maglev") as $sched
| [.items[] | select(.kind == "EndpointSlice")] as $slices
| {
    scope: (($ARGS.named.scope // "") | split(",") | map(select(length > 0))),
    services: [
      .items[]
      | select(.kind == "Service")
      | select((.spec.clusterIP // "None") != "None" and .spec.clusterIP != "")
      | . as $svc
      | ((.spec.clusterIPs // [.spec.clusterIP])
         + (.spec.externalIPs // [])
         + [(.status.loadBalancer.ingress // [])[] | .ip | select(. != null)])
      | unique
      | .[] as $vip
      | $svc.spec.ports[] as $p
      | {
          service: ((($p.protocol // "TCP") | ascii_downcase) + "/" + ($vip | bracket)
                    + ":" + ($p.port | tostring)),
          scheduler: $sched
        }
        + (if $svc.spec.sessionAffinity == "ClientIP" then
             { persistent: ($svc.spec.sessionAffinityConfig.clientIP.timeoutSeconds // 10800) }
           else {} end)
        + {
            backends: ([
              $slices[]
              | select(.metadata.namespace == $svc.metadata.namespace
                       and .metadata.labels["kubernetes.io/service-name"] == $svc.metadata.name
                       and .addressType == ($vip | family))
              | ((.ports // []) | map(select((.name // "") == ($p.name // ""))) | .[0].port) as $port
              | select($port != null)
              | (.endpoints // [])[]
              | select(.conditions.ready != false)
              | .addresses[]
              | { address: ((. | bracket) + ":" + ($port | tostring)), weight: 1, method: "nat" }
            ] | unique_by(.address))
          }
    ]
  }
