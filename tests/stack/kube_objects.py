"""The gateway's Kubernetes objects in the real API's JSON shapes, for the emulator.

They follow the deployment guide: namespace ai-services, the
Deployment ai-gateway (3 replicas, app=ai-gateway, port 8080, probes /health
and /ready, requests 250m/256Mi, limits 500m/512Mi), its ReplicaSet's three
pods (one in CrashLoopBackOff), the autoscaling/v2 HPA ai-gateway-hpa (3..10,
CPU 70 %, memory 80 %, scale-down window 300 s), Warning and scaling events,
and two objects that must NOT show: a pod whose name starts like the
gateway's but whose labels do not match the selector, and an event about
an unrelated pod.

Times are fixed relative to FixedClock's default start (2026-11-26T10:00:00Z)
so ages are exact in tests. Every object has the fields the official client's
models require, which a test checks with the client's own model classes.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]

NAMESPACE = "ai-services"
DEPLOYMENT = "ai-gateway"
HPA = "ai-gateway-hpa"
REPLICASET = "ai-gateway-7d9f8b6c5"
RS_UID = "5b1d3e7a-0c4f-4a55-9d3e-0a1b2c3d4e01"
DEPLOYMENT_UID = "5b1d3e7a-0c4f-4a55-9d3e-0a1b2c3d4e00"
HPA_UID = "5b1d3e7a-0c4f-4a55-9d3e-0a1b2c3d4e02"
POD_OK_1 = "ai-gateway-7d9f8b6c5-x2k4p"
POD_OK_2 = "ai-gateway-7d9f8b6c5-m8q2n"
POD_CRASH = "ai-gateway-7d9f8b6c5-r7t9w"
CRASH_LINE = "panic: config error: HOLYSHEEP_API_KEY is required but not set"
CRASH_MESSAGE = ('{"level":"info","msg":"loading configuration"}\n' + CRASH_LINE
                 + "\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/cmd/gateway/main.go:29\n")
"""The crashed container's termination message, as the kubelet reports it."""
POD_UNSELECTED = "ai-gateway-migrate-6kq2z"
NOW = "2026-11-26T10:00:00Z"
NOW_EPOCH = 1_795_687_200.0


def namespace() -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": NAMESPACE,
            "uid": "5b1d3e7a-0c4f-4a55-9d3e-0a1b2c3d4eff",
            "creationTimestamp": "2026-09-01T08:00:00Z",
            "labels": {"kubernetes.io/metadata.name": NAMESPACE},
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def _container() -> Obj:
    return {
        "name": "gateway",
        "image": "apijson/gateway:latest",
        "ports": [{"containerPort": 8080, "protocol": "TCP"}],
        "env": [
            {
                "name": "HOLYSHEEP_API_KEY",
                "valueFrom": {"secretKeyRef": {"name": "holysheep-secret", "key": "api-key"}},
            },
            {"name": "LOG_LEVEL", "value": "info"},
        ],
        "resources": {
            "requests": {"memory": "256Mi", "cpu": "250m"},
            "limits": {"memory": "512Mi", "cpu": "500m"},
        },
        "livenessProbe": {
            "httpGet": {"path": "/health", "port": 8080, "scheme": "HTTP"},
            "initialDelaySeconds": 10,
            "periodSeconds": 30,
            "timeoutSeconds": 1,
            "successThreshold": 1,
            "failureThreshold": 3,
        },
        "readinessProbe": {
            "httpGet": {"path": "/ready", "port": 8080, "scheme": "HTTP"},
            "initialDelaySeconds": 5,
            "periodSeconds": 10,
            "timeoutSeconds": 1,
            "successThreshold": 1,
            "failureThreshold": 3,
        },
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "Always",
    }


def _template(labels: Obj) -> Obj:
    return {
        "metadata": {"labels": labels, "creationTimestamp": None},
        "spec": {
            "containers": [_container()],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "schedulerName": "default-scheduler",
            "securityContext": {},
        },
    }


def deployment() -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": DEPLOYMENT,
            "namespace": NAMESPACE,
            "uid": DEPLOYMENT_UID,
            "generation": 4,
            "creationTimestamp": "2026-11-20T09:00:00Z",
            "labels": {"app": "ai-gateway"},
            "annotations": {"deployment.kubernetes.io/revision": "4"},
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "ai-gateway"}},
            "template": _template({"app": "ai-gateway"}),
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
            },
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
        },
        "status": {
            "observedGeneration": 4,
            "replicas": 3,
            "updatedReplicas": 3,
            "readyReplicas": 2,
            "availableReplicas": 2,
            "unavailableReplicas": 1,
            "conditions": [
                {
                    "type": "Available",
                    "status": "False",
                    "lastUpdateTime": "2026-11-26T09:40:00Z",
                    "lastTransitionTime": "2026-11-26T09:40:00Z",
                    "reason": "MinimumReplicasUnavailable",
                    "message": "Deployment does not have minimum availability.",
                },
                {
                    "type": "Progressing",
                    "status": "True",
                    "lastUpdateTime": "2026-11-26T09:00:05Z",
                    "lastTransitionTime": "2026-11-20T09:00:00Z",
                    "reason": "NewReplicaSetAvailable",
                    "message": 'ReplicaSet "ai-gateway-7d9f8b6c5" has successfully progressed.',
                },
            ],
        },
    }


def replicaset() -> Obj:
    labels = {"app": "ai-gateway", "pod-template-hash": "7d9f8b6c5"}
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": REPLICASET,
            "namespace": NAMESPACE,
            "uid": RS_UID,
            "generation": 1,
            "creationTimestamp": "2026-11-26T09:00:00Z",
            "labels": labels,
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "Deployment", "name": DEPLOYMENT,
                "uid": DEPLOYMENT_UID, "controller": True, "blockOwnerDeletion": True,
            }],
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": labels},
            "template": _template(labels),
        },
        "status": {
            "replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 2,
            "availableReplicas": 2, "observedGeneration": 1,
        },
    }


def _pod(name: str, node: str, ip: str, *, restarts: int = 0, crash: bool = False,
         labels: Obj | None = None, owner: bool = True) -> Obj:
    labels = labels or {"app": "ai-gateway", "pod-template-hash": "7d9f8b6c5"}
    started = "2026-11-26T09:00:00Z"
    ready = "False" if crash else "True"
    state: Obj
    last_state: Obj = {}
    if crash:
        state = {"waiting": {
            "reason": "CrashLoopBackOff",
            "message": "back-off 5m0s restarting failed container=gateway "
                       f"pod={name}_{NAMESPACE}",
        }}
        last_state = {"terminated": {
            "exitCode": 1, "reason": "Error",
            "startedAt": "2026-11-26T09:52:10Z", "finishedAt": "2026-11-26T09:52:14Z",
            "containerID": "containerd://4f1e9c0a7b",
            # what the kubelet keeps of the exit (under FallbackToLogsOnError, the log's tail)
            "message": CRASH_MESSAGE,
        }}
    else:
        state = {"running": {"startedAt": started}}
    meta: Obj = {
        "name": name,
        "generateName": f"{REPLICASET}-",
        "namespace": NAMESPACE,
        "uid": f"pod-uid-{name}",
        "creationTimestamp": started,
        "labels": labels,
    }
    if owner:
        meta["ownerReferences"] = [{
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": REPLICASET,
            "uid": RS_UID, "controller": True, "blockOwnerDeletion": True,
        }]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {**_template(labels)["spec"], "nodeName": node, "serviceAccountName": "default"},
        "status": {
            "phase": "Running",
            "hostIP": "10.0.0." + node[-1],
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "startTime": started,
            "qosClass": "Burstable",
            "conditions": [
                {"type": "Initialized", "status": "True", "lastTransitionTime": started},
                {"type": "Ready", "status": ready, "lastTransitionTime": "2026-11-26T09:40:00Z",
                 **({"reason": "ContainersNotReady",
                     "message": "containers with unready status: [gateway]"} if crash else {})},
                {"type": "ContainersReady", "status": ready,
                 "lastTransitionTime": "2026-11-26T09:40:00Z"},
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": started},
            ],
            "containerStatuses": [{
                "name": "gateway",
                "image": "docker.io/apijson/gateway:latest",
                "imageID": "docker.io/apijson/gateway@sha256:5e3c0d1f",
                "containerID": "containerd://9a8b7c6d5e",
                "ready": not crash,
                "started": not crash,
                "restartCount": restarts,
                "state": state,
                "lastState": last_state,
            }],
        },
    }


def pods() -> list[Obj]:
    return [
        _pod(POD_OK_1, "node-1", "10.244.0.17"),
        _pod(POD_OK_2, "node-2", "10.244.1.9", restarts=1),
        _pod(POD_CRASH, "node-3", "10.244.2.4", restarts=7, crash=True),
    ]


def unselected_pod() -> Obj:
    """Named like the gateway's pods but labelled otherwise: a selector must skip it."""
    return _pod(POD_UNSELECTED, "node-1", "10.244.0.30",
                labels={"app": "ai-gateway-migrate", "job-name": "ai-gateway-migrate"},
                owner=False)


def hpa() -> Obj:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {
            "name": HPA,
            "namespace": NAMESPACE,
            "uid": HPA_UID,
            "creationTimestamp": "2026-11-20T09:00:00Z",
        },
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": DEPLOYMENT},
            "minReplicas": 3,
            "maxReplicas": 10,
            "metrics": [
                {"type": "Resource", "resource": {
                    "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}},
                {"type": "Resource", "resource": {
                    "name": "memory",
                    "target": {"type": "Utilization", "averageUtilization": 80}}},
            ],
            "behavior": {
                "scaleDown": {
                    "stabilizationWindowSeconds": 300,
                    "selectPolicy": "Max",
                    "policies": [{"type": "Percent", "value": 10, "periodSeconds": 60}],
                },
                "scaleUp": {
                    "stabilizationWindowSeconds": 0,
                    "selectPolicy": "Max",
                    "policies": [
                        {"type": "Percent", "value": 100, "periodSeconds": 15},
                        {"type": "Pods", "value": 4, "periodSeconds": 15},
                    ],
                },
            },
        },
        "status": {
            "observedGeneration": 1,
            "lastScaleTime": "2026-11-26T08:10:00Z",
            "currentReplicas": 3,
            "desiredReplicas": 3,
            "currentMetrics": [
                {"type": "Resource", "resource": {
                    "name": "cpu", "current": {"averageValue": "112m", "averageUtilization": 45}}},
                {"type": "Resource", "resource": {
                    "name": "memory",
                    "current": {"averageValue": "166Mi", "averageUtilization": 62}}},
            ],
            "conditions": [
                {"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale",
                 "message": "recommended size matches current size",
                 "lastTransitionTime": "2026-11-26T08:10:00Z"},
                {"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound",
                 "message": "the HPA was able to successfully calculate a replica count from "
                            "cpu resource utilization (percentage of request)",
                 "lastTransitionTime": "2026-11-20T09:01:00Z"},
                {"type": "ScalingLimited", "status": "False", "reason": "DesiredWithinRange",
                 "message": "the desired count is within the acceptable range",
                 "lastTransitionTime": "2026-11-26T08:10:00Z"},
            ],
        },
    }


def _event(name: str, type_: str, reason: str, message: str, kind: str, obj_name: str,
           count: int, last: str, *, api_version: str = "v1", component: str = "kubelet",
           uid: str = "") -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "uid": f"event-uid-{name}",
            "creationTimestamp": "2026-11-26T09:40:00Z",
        },
        "involvedObject": {
            "apiVersion": api_version, "kind": kind, "name": obj_name,
            "namespace": NAMESPACE, **({"uid": uid} if uid else {}),
        },
        "type": type_,
        "reason": reason,
        "message": message,
        "source": {"component": component},
        "firstTimestamp": "2026-11-26T09:40:00Z",
        "lastTimestamp": last,
        "count": count,
        "reportingComponent": component,
        "reportingInstance": "",
    }


def events() -> list[Obj]:
    crash_uid = f"pod-uid-{POD_CRASH}"
    return [
        _event(f"{POD_CRASH}.181a1", "Warning", "BackOff",
               "Back-off restarting failed container gateway in pod "
               f"{POD_CRASH}_{NAMESPACE}({crash_uid})",
               "Pod", POD_CRASH, 42, "2026-11-26T09:58:30Z", uid=crash_uid),
        _event(f"{POD_CRASH}.181a2", "Warning", "Unhealthy",
               "Readiness probe failed: HTTP probe failed with statuscode: 503",
               "Pod", POD_CRASH, 12, "2026-11-26T09:57:00Z", uid=crash_uid),
        _event(f"{HPA}.181b1", "Normal", "SuccessfulRescale",
               "New size: 3; reason: All metrics below target",
               "HorizontalPodAutoscaler", HPA, 1, "2026-11-26T08:10:00Z",
               api_version="autoscaling/v2", component="horizontal-pod-autoscaler"),
        _event(f"{DEPLOYMENT}.181c1", "Normal", "ScalingReplicaSet",
               f"Scaled up replica set {REPLICASET} from 0 to 3",
               "Deployment", DEPLOYMENT, 1, "2026-11-26T09:00:00Z",
               api_version="apps/v1", component="deployment-controller"),
        _event(f"{POD_OK_1}.181d1", "Normal", "Pulled",
               'Container image "apijson/gateway:latest" already present on machine',
               "Pod", POD_OK_1, 1, "2026-11-26T09:00:02Z"),
        _event("redis-0.181e1", "Warning", "FailedScheduling",
               "0/3 nodes are available: 3 Insufficient memory.",
               "Pod", "redis-0", 5, "2026-11-26T09:59:00Z", component="default-scheduler"),
    ]


def pod_usage() -> dict[str, dict[str, dict[str, str]]]:
    """What metrics.k8s.io reports per pod and container."""
    return {
        POD_OK_1: {"gateway": {"cpu": "130m", "memory": "180Mi"}},
        POD_OK_2: {"gateway": {"cpu": "104021337n", "memory": "171616Ki"}},
        POD_CRASH: {"gateway": {"cpu": "2m", "memory": "20Mi"}},
        POD_UNSELECTED: {"gateway": {"cpu": "5m", "memory": "10Mi"}},
    }


LOG_LINES = [
    '{"level":"info","msg":"listening","port":8080}',
    '{"level":"info","msg":"request","model":"gpt-4.1","status":200,"duration_ms":1620}',
    '{"level":"warn","msg":"upstream slow","provider":"holysheep","duration_ms":2400}',
]
PREVIOUS_LOG_LINES = [
    '{"level":"info","msg":"listening","port":8080}',
    '{"level":"error","msg":"HOLYSHEEP_API_KEY rejected by upstream (401)"}',
    '{"level":"fatal","msg":"exiting","code":1}',
]


CONFIG_MAP = "ai-gateway-config"
CONFIG_YAML = """\
server:
  port: 8080
  timeout: 120s

providers:
  holysheep:
    base_url: "https://api.holysheep.ai/v1"
    api_key: "${HOLYSHEEP_API_KEY}"
    models:
      - gpt-4.1
      - claude-sonnet-4.5
      - gemini-2.5-flash
      - deepseek-v3.2
    timeout: 60s
    retry:
      max_attempts: 3
      backoff_ms: 500

rate_limit:
  enabled: true
  requests_per_minute: 60
  burst: 10

cache:
  enabled: true
  ttl: 3600
  max_size: 1000
"""


def config_map() -> Obj:
    """The gateway's ConfigMap as the guide applies it: one key, config.yaml."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": CONFIG_MAP,
            "namespace": NAMESPACE,
            "uid": "5b1d3e7a-0c4f-4a55-9d3e-0a1b2c3d4e03",
            "creationTimestamp": "2026-11-20T09:00:00Z",
        },
        "data": {"config.yaml": CONFIG_YAML},
    }


def all_objects() -> list[Obj]:
    return [namespace(), deployment(), replicaset(), *pods(), unselected_pod(), hpa(), *events(),
            config_map()]
