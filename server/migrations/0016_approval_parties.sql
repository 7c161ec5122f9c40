-- Who may not decide an approval request is fixed when it is made, and an
-- account is linked to its person in the inventory by id, not by an email
-- compared at every read.
--
-- account.person_id: the person this account is, set when the account or the
-- person is created (matching emails, once) and kept when either changes.
ALTER TABLE account ADD COLUMN person_id BIGINT REFERENCES person (id);
UPDATE account SET person_id = (SELECT min(p.id) FROM person p WHERE lower(p.email) = account.email);
CREATE UNIQUE INDEX account_person ON account (person_id);

-- The agent's owner and deployer when the request was made: neither may
-- decide it, even after ownership moves.
ALTER TABLE approval_request ADD COLUMN owner_id BIGINT REFERENCES person (id);
ALTER TABLE approval_request ADD COLUMN deployer_id BIGINT REFERENCES person (id);
UPDATE approval_request SET
    owner_id = (SELECT a.owner_id FROM agent a WHERE a.id = approval_request.agent_id),
    deployer_id = (SELECT a.deployed_by_id FROM agent a WHERE a.id = approval_request.agent_id);
