//! Notification texts for service-request events, zh-CN and en (administrators may edit them).

/// (event, locale, subject, body) — minijinja, like the other built-in templates.
pub(crate) const TEMPLATES: &[(&str, &str, &str, &str)] = &[
    (
        "service_request.created",
        "zh-CN",
        "【{{ payload.number }}】已为您提交服务请求：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 为您提交了服务请求 {{ payload.number }}：{{ payload.title }}\n查看：{{ public_url }}/requests/{{ payload.number }}\n",
    ),
    (
        "service_request.created",
        "en",
        "[{{ payload.number }}] A service request was made for you: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} made service request {{ payload.number }} for you at {{ time }}: {{ payload.title }}\nOpen: {{ public_url }}/requests/{{ payload.number }}\n",
    ),
    (
        "service_request.approval_requested",
        "zh-CN",
        "【{{ payload.number }}】待您审批：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n服务请求 {{ payload.number }}（{{ payload.title }}）的第 {{ payload.step }} 步审批等待您处理。\n审批：{{ public_url }}/requests/{{ payload.number }}\n",
    ),
    (
        "service_request.approval_requested",
        "en",
        "[{{ payload.number }}] Awaiting your approval: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\nStep {{ payload.step }} of service request {{ payload.number }} ({{ payload.title }}) is waiting for your approval.\nDecide: {{ public_url }}/requests/{{ payload.number }}\n",
    ),
    (
        "service_request.approver_missing",
        "zh-CN",
        "【{{ payload.number }}】审批步骤待指定审批人：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n服务请求 {{ payload.number }}（{{ payload.title }}）的第 {{ payload.step }} 步审批「{{ payload.step_name }}」找不到审批人（没有直属主管、组长，也没有兜底角色的人员），正在等待服务台指定。\n指定审批人：{{ public_url }}/requests/{{ payload.number }}\n",
    ),
    (
        "service_request.approver_missing",
        "en",
        "[{{ payload.number }}] An approval step needs an approver: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\nNo approver was found for step {{ payload.step }} (\"{{ payload.step_name }}\") of service request {{ payload.number }} ({{ payload.title }}): no line manager, team lead or holder of the fallback role. It waits for the service desk to name one.\nName the approver: {{ public_url }}/requests/{{ payload.number }}\n",
    ),
    (
        "service_request.approved",
        "zh-CN",
        "【{{ payload.number }}】服务请求已批准：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n您的服务请求 {{ payload.number }}（{{ payload.title }}）已全部审批通过，已交由运维人员办理。\n查看：{{ public_url }}/requests/{{ payload.number }}\n",
    ),
    (
        "service_request.approved",
        "en",
        "[{{ payload.number }}] Service request approved: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\nYour service request {{ payload.number }} ({{ payload.title }}) is approved and has gone to the operations team.\nOpen: {{ public_url }}/requests/{{ payload.number }}\n",
    ),
    (
        "service_request.rejected",
        "zh-CN",
        "【{{ payload.number }}】服务请求未获批准：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n您的服务请求 {{ payload.number }}（{{ payload.title }}）被 {{ actor }} 驳回。\n理由：{{ payload.comment }}\n查看：{{ public_url }}/requests/{{ payload.number }}\n",
    ),
    (
        "service_request.rejected",
        "en",
        "[{{ payload.number }}] Service request rejected: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} rejected your service request {{ payload.number }} ({{ payload.title }}).\nReason: {{ payload.comment }}\nOpen: {{ public_url }}/requests/{{ payload.number }}\n",
    ),
    (
        "service_request.task_assigned",
        "zh-CN",
        "【{{ payload.number }}】新的办理任务：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n服务请求 {{ payload.number }}（{{ payload.title }}）有办理任务交给您或您的处理组。\n查看：{{ public_url }}/requests/{{ payload.number }}\n",
    ),
    (
        "service_request.task_assigned",
        "en",
        "[{{ payload.number }}] New fulfilment task: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\nService request {{ payload.number }} ({{ payload.title }}) has a fulfilment task for you or your team.\nOpen: {{ public_url }}/requests/{{ payload.number }}\n",
    ),
    (
        "service_request.fulfilled",
        "zh-CN",
        "【{{ payload.number }}】服务请求已办结：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n您的服务请求 {{ payload.number }}（{{ payload.title }}）已办理完成，请确认后关闭。\n查看：{{ public_url }}/requests/{{ payload.number }}\n",
    ),
    (
        "service_request.fulfilled",
        "en",
        "[{{ payload.number }}] Service request fulfilled: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\nYour service request {{ payload.number }} ({{ payload.title }}) is done. Please check and close it.\nOpen: {{ public_url }}/requests/{{ payload.number }}\n",
    ),
    (
        "service_request.state_changed",
        "zh-CN",
        "【{{ payload.number }}】服务请求状态变更：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 将服务请求 {{ payload.number }} 的状态由 {{ payload.from }} 改为 {{ payload.state }}。\n查看：{{ public_url }}/requests/{{ payload.number }}\n",
    ),
    (
        "service_request.state_changed",
        "en",
        "[{{ payload.number }}] Service request {{ payload.state }}: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} moved service request {{ payload.number }} from {{ payload.from }} to {{ payload.state }} at {{ time }}.\nOpen: {{ public_url }}/requests/{{ payload.number }}\n",
    ),
    (
        "service_request.commented",
        "zh-CN",
        "【{{ payload.number }}】新回复：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 在服务请求 {{ payload.number }} 中写道：\n\n{{ payload.excerpt }}\n\n查看：{{ public_url }}/requests/{{ payload.number }}\n",
    ),
    (
        "service_request.commented",
        "en",
        "[{{ payload.number }}] New reply: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} wrote on service request {{ payload.number }} at {{ time }}:\n\n{{ payload.excerpt }}\n\nOpen: {{ public_url }}/requests/{{ payload.number }}\n",
    ),
];
