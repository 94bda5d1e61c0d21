//! The project's storage resources (`amplify/backend/storage/<resource>/cli-inputs.json`,
//! Amplify's S3UserInputs) and what a push makes of them: the bucket with Amplify's CORS rules
//! and the policies Amplify generates for the auth, guest and group roles.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::files::{category_inputs, read_json, Layout};
use super::ProjectError;

/// One access right, as Amplify stores it and as its prompt names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    CreateAndUpdate,
    Read,
    Delete,
}

impl Permission {
    pub const ALL: [Permission; 3] = [
        Permission::CreateAndUpdate,
        Permission::Read,
        Permission::Delete,
    ];

    pub fn stored(self) -> &'static str {
        match self {
            Permission::CreateAndUpdate => "CREATE_AND_UPDATE",
            Permission::Read => "READ",
            Permission::Delete => "DELETE",
        }
    }

    /// As the prompt and the flags say it.
    pub fn spoken(self) -> &'static str {
        match self {
            Permission::CreateAndUpdate => "create/update",
            Permission::Read => "read",
            Permission::Delete => "delete",
        }
    }

    /// `CREATE_AND_UPDATE` or `create/update` (the legacy storage-params.json word).
    pub fn parse(raw: &str) -> Result<Permission, ProjectError> {
        Permission::ALL
            .into_iter()
            .find(|p| p.stored().eq_ignore_ascii_case(raw) || p.spoken().eq_ignore_ascii_case(raw))
            .ok_or_else(|| {
                ProjectError::Input(format!(
                    "{raw:?} is not an access right: use create/update, read or delete"
                ))
            })
    }

    /// The S3 actions of this right, ListBucket included for read.
    fn actions(self) -> &'static [&'static str] {
        match self {
            Permission::CreateAndUpdate => &["s3:PutObject"],
            Permission::Read => &["s3:GetObject", "s3:ListBucket"],
            Permission::Delete => &["s3:DeleteObject"],
        }
    }
}

fn permissions_of(value: &Value) -> Result<Vec<Permission>, ProjectError> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| Permission::parse(p.as_str().unwrap_or_default()))
        .collect()
}

/// A storage resource's inputs.
#[derive(Debug, Clone)]
pub struct Storage {
    pub resource: String,
    pub policy_uuid: String,
    pub bucket: String,
    /// `authAndGuest` gives guests their access too.
    pub guests: bool,
    pub auth_access: Vec<Permission>,
    pub guest_access: Vec<Permission>,
    /// None: restricted by auth and guest users only.
    pub group_access: Option<BTreeMap<String, Vec<Permission>>>,
}

/// A role policy to push: role name, policy name, document.
pub type RolePolicy = (String, String, Value);

const SUB: &str = "${cognito-identity.amazonaws.com:sub}";

impl Storage {
    /// Every S3 storage resource of the project, by name.
    pub fn all(layout: &Layout) -> Result<Vec<Storage>, ProjectError> {
        category_inputs(
            layout,
            "storage",
            |_, entry| entry["service"] == "S3",
            Layout::storage_inputs,
        )?
        .iter()
        .map(|(name, path, inputs)| Self::from_inputs(path, inputs, name))
        .collect()
    }

    /// `resource` as the last push left it; None when it was never pushed.
    pub fn read_pushed(layout: &Layout, resource: &str) -> Result<Option<Storage>, ProjectError> {
        let path = layout.current_storage_inputs(resource);
        read_json(&path)?
            .map(|inputs| Self::from_inputs(&path, &inputs, resource))
            .transpose()
    }

    /// The resource from its cli-inputs.json (read from `path`, named in errors).
    fn from_inputs(
        path: &std::path::Path,
        inputs: &Value,
        resource: &str,
    ) -> Result<Storage, ProjectError> {
        let bucket = inputs["bucketName"]
            .as_str()
            .ok_or_else(|| ProjectError::Invalid(format!("{}: no bucketName", path.display())))?
            .to_owned();
        let group_access = match inputs["groupAccess"].as_object() {
            Some(groups) => Some(
                groups
                    .iter()
                    .map(|(g, p)| Ok((g.clone(), permissions_of(p)?)))
                    .collect::<Result<BTreeMap<_, _>, ProjectError>>()?,
            ),
            None => None,
        };
        Ok(Storage {
            resource: resource.to_owned(),
            policy_uuid: inputs["policyUUID"].as_str().unwrap_or("0").to_owned(),
            bucket,
            guests: inputs["storageAccess"] == "authAndGuest",
            auth_access: permissions_of(&inputs["authAccess"])?,
            guest_access: permissions_of(&inputs["guestAccess"])?,
            group_access,
        })
    }

    /// The cli-inputs.json Amplify writes for these answers.
    pub fn inputs(&self) -> Value {
        let list = |p: &[Permission]| json!(p.iter().map(|p| p.stored()).collect::<Vec<_>>());
        let mut inputs = json!({
            "resourceName": self.resource,
            "policyUUID": self.policy_uuid,
            "bucketName": self.bucket,
            "storageAccess": if self.guests { "authAndGuest" } else { "auth" },
            "guestAccess": list(&self.guest_access),
            "authAccess": list(&self.auth_access),
            "triggerFunction": "NONE",
        });
        if let Some(groups) = &self.group_access {
            let groups: Map<String, Value> =
                groups.iter().map(|(g, p)| (g.clone(), list(p))).collect();
            inputs["groupAccess"] = Value::Object(groups);
        }
        inputs
    }

    /// The backend-config.json entry: S3, depending on the user pool and each group's role.
    pub fn backend_entry(&self, auth_resource: &str) -> Value {
        let mut depends = vec![
            json!({"category": "auth", "resourceName": auth_resource, "attributes": ["UserPoolId"]}),
        ];
        for group in self.group_access.iter().flat_map(|g| g.keys()) {
            depends.push(json!({"category": "auth", "resourceName": "userPoolGroups", "attributes": [format!("{group}GroupRole")]}));
        }
        json!({"service": "S3", "providerPlugin": "awscloudformation", "dependsOn": depends})
    }

    fn arn(&self) -> String {
        format!("arn:aws:s3:::{}", self.bucket)
    }

    /// The policies Amplify's storage stack puts on the roles of the user pool `pool`.
    pub fn policies(&self, pool: &str) -> Vec<RolePolicy> {
        let arn = self.arn();
        let uuid = &self.policy_uuid;
        let mut policies = Vec::new();
        let object_actions = |access: &[Permission]| -> Vec<&str> {
            access
                .iter()
                .flat_map(|p| p.actions().iter().copied())
                .filter(|a| *a != "s3:ListBucket")
                .collect()
        };
        let statement = |actions: &[&str], resources: Vec<String>| json!({"Effect": "Allow", "Action": actions, "Resource": resources});
        let document =
            |statements: Vec<Value>| json!({"Version": "2012-10-17", "Statement": statements});
        let mut per_role = |role: String, access: &[Permission], guest: bool| {
            let actions = object_actions(access);
            if !actions.is_empty() {
                policies.push((
                    role.clone(),
                    format!("Public_policy_{uuid}"),
                    document(vec![statement(&actions, vec![format!("{arn}/public/*")])]),
                ));
                if !guest {
                    policies.push((
                        role.clone(),
                        format!("Protected_policy_{uuid}"),
                        document(vec![statement(
                            &actions,
                            vec![format!("{arn}/protected/{SUB}/*")],
                        )]),
                    ));
                    policies.push((
                        role.clone(),
                        format!("Private_policy_{uuid}"),
                        document(vec![statement(
                            &actions,
                            vec![format!("{arn}/private/{SUB}/*")],
                        )]),
                    ));
                }
            }
            if access.contains(&Permission::CreateAndUpdate) {
                policies.push((
                    role.clone(),
                    format!("Uploads_policy_{uuid}"),
                    document(vec![statement(
                        &["s3:PutObject"],
                        vec![format!("{arn}/uploads/*")],
                    )]),
                ));
            }
            if access.contains(&Permission::Read) {
                let mut prefixes = vec![
                    "public/".to_owned(),
                    "public/*".to_owned(),
                    "protected/".to_owned(),
                    "protected/*".to_owned(),
                ];
                if !guest {
                    prefixes.push(format!("private/{SUB}/"));
                    prefixes.push(format!("private/{SUB}/*"));
                }
                policies.push((
                    role,
                    format!("read_policy_{uuid}"),
                    document(vec![
                        statement(&["s3:GetObject"], vec![format!("{arn}/protected/*")]),
                        json!({"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [arn.clone()], "Condition": {"StringLike": {"s3:prefix": prefixes}}}),
                    ]),
                ));
            }
        };
        per_role(format!("{pool}-authRole"), &self.auth_access, false);
        if self.guests {
            per_role(format!("{pool}-unauthRole"), &self.guest_access, true);
        }
        for (group, access) in self.group_access.iter().flatten() {
            let actions: Vec<&str> = access
                .iter()
                .flat_map(|p| p.actions().iter().copied())
                .collect();
            let mut statements = vec![statement(&actions, vec![format!("{arn}/*")])];
            if access.contains(&Permission::Read) {
                statements.push(statement(&["s3:ListBucket"], vec![arn.clone()]));
            }
            policies.push((
                format!("{pool}-{group}GroupRole"),
                format!("{group}-group-s3-policy"),
                document(statements),
            ));
        }
        policies
    }

    /// Amplify's bucket CORS rules.
    pub fn cors() -> Value {
        json!([{
            "ID": "S3CORSRuleId1",
            "AllowedHeaders": ["*"],
            "AllowedMethods": ["GET", "HEAD", "PUT", "POST", "DELETE"],
            "AllowedOrigins": ["*"],
            "ExposeHeaders": ["x-amz-server-side-encryption", "x-amz-request-id", "x-amz-id-2", "ETag"],
            "MaxAgeSeconds": 3000,
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn storage(groups: Option<BTreeMap<String, Vec<Permission>>>) -> Storage {
        Storage {
            resource: "files".into(),
            policy_uuid: "a1b2c3d4".into(),
            bucket: "app-files".into(),
            guests: true,
            auth_access: Permission::ALL.to_vec(),
            guest_access: vec![Permission::Read],
            group_access: groups,
        }
    }

    #[test]
    fn a_groups_policy_is_amplifys_whole_bucket_policy_in_selection_order() {
        let groups = BTreeMap::from([("Admins".to_owned(), Permission::ALL.to_vec())]);
        let policies = storage(Some(groups)).policies("us-east-1_X");
        let (role, name, document) = policies
            .iter()
            .find(|(_, n, _)| n == "Admins-group-s3-policy")
            .unwrap();
        assert_eq!(role, "us-east-1_X-AdminsGroupRole");
        assert_eq!(name, "Admins-group-s3-policy");
        assert_eq!(
            document["Statement"][0]["Action"],
            json!([
                "s3:PutObject",
                "s3:GetObject",
                "s3:ListBucket",
                "s3:DeleteObject"
            ])
        );
        assert_eq!(
            document["Statement"][0]["Resource"],
            json!(["arn:aws:s3:::app-files/*"])
        );
        assert_eq!(
            document["Statement"][1]["Resource"],
            json!(["arn:aws:s3:::app-files"])
        );
    }

    #[test]
    fn auth_and_guest_policies_follow_amplifys_prefixes() {
        let policies = storage(None).policies("P");
        let names: Vec<(&str, &str)> = policies
            .iter()
            .map(|(r, n, _)| (r.as_str(), n.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("P-authRole", "Public_policy_a1b2c3d4"),
                ("P-authRole", "Protected_policy_a1b2c3d4"),
                ("P-authRole", "Private_policy_a1b2c3d4"),
                ("P-authRole", "Uploads_policy_a1b2c3d4"),
                ("P-authRole", "read_policy_a1b2c3d4"),
                ("P-unauthRole", "Public_policy_a1b2c3d4"),
                ("P-unauthRole", "read_policy_a1b2c3d4"),
            ]
        );
        let private = &policies[2].2;
        assert_eq!(
            private["Statement"][0]["Resource"],
            json!(["arn:aws:s3:::app-files/private/${cognito-identity.amazonaws.com:sub}/*"])
        );
        assert_eq!(
            private["Statement"][0]["Action"],
            json!(["s3:PutObject", "s3:GetObject", "s3:DeleteObject"])
        );
        let guest_read = &policies[6].2;
        assert_eq!(
            guest_read["Statement"][1]["Condition"]["StringLike"]["s3:prefix"],
            json!(["public/", "public/*", "protected/", "protected/*"])
        );
    }

    #[test]
    fn inputs_are_written_as_amplify_writes_them() {
        let groups = BTreeMap::from([("Editors".to_owned(), vec![Permission::Read])]);
        let inputs = storage(Some(groups)).inputs();
        assert_eq!(inputs["groupAccess"], json!({"Editors": ["READ"]}));
        assert_eq!(inputs["storageAccess"], "authAndGuest");
        assert_eq!(
            inputs["authAccess"],
            json!(["CREATE_AND_UPDATE", "READ", "DELETE"])
        );
        assert_eq!(
            Permission::parse("create/update").unwrap(),
            Permission::CreateAndUpdate
        );
        assert!(Permission::parse("write").is_err());
    }
}
