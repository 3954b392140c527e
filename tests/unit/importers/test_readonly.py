"""Safe by default (issue 16.1): which imported commands count as only reading."""

from __future__ import annotations

import pytest

from runbookctl.importers.readonly import is_read_only

READS = [
    "kubectl get pods -n web", "kubectl -n web describe pod api-1", "kubectl logs api-1 | grep -i error",
    "kubectl top nodes", "kubectl config current-context", "systemctl status nginx",
    "sudo journalctl -u etcd", "cat /etc/hosts",
    "grep -r error /var/log/app", "df -h && free -m", "ps aux | head -20",
    "ls -la /var/lib/postgresql 2>/dev/null", "tail -n 100 /var/log/syslog",
    "psql -h db -c 'SELECT count(*) FROM pg_stat_activity'", 'psql -c "select 1; select 2"',
    "curl -s https://api.example.com/health", "curl -X GET https://x/y", "dig +short example.com",
    "ping -c 3 10.0.0.1", "uptime", "sudo netstat -tp | grep 42792", "timeout 5 kubectl get nodes",
    "NS=web kubectl get pods", "aws ec2 describe-instances", "gcloud compute instances list",
    "patronictl -c /etc/patroni.yml list", "etcdctl endpoint status", "docker compose logs -f web",
    "redis-cli info replication", "sed -n 1,5p file", "echo $(kubectl get pods -o name)",
    "kubectl get pods -o json | jq '.items[] | select(.status.phase != \"Running\")'",
    "mysql -e 'SHOW PROCESSLIST'", "az vm list", "gcloud logging read 'x'", "helm list -A",
    "git log --oneline -5",
]
CHANGES = [
    "kubectl delete pod api-1", "kubectl -n web rollout restart deploy/api", "kubectl exec -it api-1 -- sh",
    "kubectl scale deploy/api --replicas=0", "sudo systemctl stop nginx", "systemctl disable etcd",
    "etcdctl defrag", "knife node delete web-1", "gcloud compute instances delete vm-1",
    "aws ec2 terminate-instances --instance-ids i-1", "rm -rf /tmp/x", "cat a > /etc/hosts",
    "echo 1 >> f", "psql", "psql -h db", "psql -c 'DELETE FROM jobs'",
    "psql -c 'select pg_terminate_backend(123)'", "psql -c 'select 1; drop table t'",
    "curl -X POST https://x/api", "curl -d a=1 https://x", "curl -o out.tgz https://x", "frobnicate --all",
    "sed -i s/a/b/ /etc/conf", "find /var/log -name '*.gz' -delete", "sudo reboot",
    "echo $(kubectl delete pod x)", "df -h; rm -f x", "redis-cli FLUSHALL", "patronictl failover",
    "kubectl get pods | xargs kubectl delete pod", "ssh db-1", "docker restart api",
    "helm upgrade api ./chart", "ls 'unbalanced",
    "sudo -u postgres pg_ctl promote", "aws logs delete-log-group --name x",
    "gcloud sql instances failover db", "az vm restart -n vm", "tee /etc/motd", "mysql",
]


@pytest.mark.parametrize("command", READS)
def test_a_command_that_only_reads_is_recognised(command: str) -> None:
    assert is_read_only(command)


@pytest.mark.parametrize("command", CHANGES)
def test_a_command_that_may_change_something_is_not(command: str) -> None:
    assert not is_read_only(command)


def test_continued_lines_comments_and_blank_lines_are_read_as_one_command() -> None:
    assert is_read_only("# look first\nkubectl get pods \\\n  -n web\n\ncat x")
    assert not is_read_only("kubectl get pods \\\n  -n web && kubectl \\\n  delete pod x")


@pytest.mark.parametrize(("command", "reads"), [
    ("oc adm upgrade", True), ("oc adm upgrade --to=4.14.1", False), ("oc adm drain node-1", False),
    ("oc adm top nodes", True), ("oc adm must-gather", False), ("oc project openshift-etcd", False),
    ("etcdctl member list -w table", True), ("etcdctl member remove 8e9e05c52164694d", False),
    ("etcdctl alarm list", True), ("etcdctl alarm disarm", False), ("etcdctl check perf", False),
    ("ceph osd tree", True), ("ceph osd out 3", False), ("ceph osd pool delete rbd", False),
    ("ip -s link", True), ("ip link set eth0 down", False), ("ip route add default via 1.2.3.4", False),
    ("ifconfig eth0 down", False), ("arp -an", True), ("arp -d 10.0.0.1", False), ("mount", True),
    ("mount /dev/sdb1 /mnt", False),
    ("hostname -f", True), ("hostname db-2", False), ("date +%s", True), ("date -s 10:00", False),
])
def test_verbs_that_change_things_in_read_only_families(command: str, reads: bool) -> None:
    assert is_read_only(command) is reads
