"""Commands that open a session in imported code blocks (issue 16.2)."""

from __future__ import annotations

import pytest

from runbookctl.importers.sessions import Split, opens_session, split_session


@pytest.mark.parametrize("line", [
    "kubectl exec -it api-1 -- /bin/sh", "kubectl -n web exec -ti $POD -- bash", "kubectl rsh etcd-0",
    "oc rsh etcd-member-1", "docker exec -it db psql", "ssh db-1", "ssh -i key.pem ubuntu@10.0.0.1",
    "ssh <replica host>", "sudo -u postgres psql", "psql -h <primary host> -U admin", "mysql -u root -p",
    "redis-cli -h cache", "sudo -i", "su - postgres", "tmux attach -t ops",
])
def test_a_command_the_operator_types_into_opens_a_session(line: str) -> None:
    assert opens_session(line)


@pytest.mark.parametrize("line", [
    "kubectl exec api-1 -- ls /data", "kubectl get pods", "ssh db-1 sudo systemctl status patroni",
    "ssh <replica host> uptime", "psql -c 'select 1'", "psql -h db -f fix.sql", "psql < dump.sql",
    "mysql -e 'SHOW PROCESSLIST'", "redis-cli info", "echo ssh db-1", "# ssh db-1", "etcdctl endpoint status",
    "cat x | psql", "ssh db-1 \\",
])
def test_a_one_shot_command_does_not(line: str) -> None:
    assert not opens_session(line)


def test_a_block_is_split_around_the_session_it_opens() -> None:
    code = "kubectl get pods\nkubectl rsh etcd-0\netcdctl endpoint status\netcdctl defrag"
    assert split_session(code) == Split("kubectl get pods", "kubectl rsh etcd-0",
                                        "etcdctl endpoint status\netcdctl defrag")
    assert split_session("ssh db-1") == Split("", "ssh db-1", "")
    assert split_session("kubectl get pods\nls") is None


def test_blocks_after_a_session_in_its_section_are_typed_there_never_run_here() -> None:
    import textwrap

    from tests.unit.importers.test_playbook import loaded

    (rb,) = loaded(textwrap.dedent("""\
        # etcdMembersDown
        ## Diagnosis
        ```console
        $ oc rsh -c etcdctl -n openshift-etcd $(oc get pod -l app=etcd -oname | awk 'NR==1')
        ```
        Run the following command to get the health of etcd:
        ```console
        $ etcdctl endpoint health -w table
        ```
        ## Mitigation
        ```bash
        kubectl get nodes
        ```
    """))
    note, session, after = rb.steps
    assert (note.action, session.interactive, after.text) == ("message", True, "kubectl get nodes")
    assert "# Run the following command to get the health of etcd\n  etcdctl endpoint health" in note.text
    assert not [s for s in rb.steps if s.action == "run" and "etcdctl endpoint" in s.text]
